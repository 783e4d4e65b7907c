"""Flow files are data validated on load: a broken one is refused with the file and screen named."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ROOT
from gateway.ussd.flows import FlowError, load_flows
from gateway.ussd.runtime import ACTIONS, SOURCES

MAIN = """
id: main
start: start
screens:
  start: {type: router, routes: [{next: home}]}
  home:
    type: menu
    text: ussd.home.prompt
    options:
      - {label: ussd.home.report, next: "extra:"}
"""


def _load(tmp_path: Path, extra: str) -> None:
    (tmp_path / "main.yaml").write_text(MAIN, encoding="utf-8")
    (tmp_path / "extra.yaml").write_text(extra, encoding="utf-8")
    load_flows(tmp_path, ACTIONS, SOURCES)


def test_project_flows_load() -> None:
    flows = load_flows(ROOT / "flows", ACTIONS, SOURCES)
    assert {"main", "report"} <= set(flows.flows)


def test_a_new_menu_needs_no_python(tmp_path: Path) -> None:
    _load(tmp_path, "id: extra\nstart: a\nscreens:\n  a: {type: info, text: ussd.help.privacy}\n")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("id: extra\nstart: a\nscreens:\n  a: {type: info, text: 'Hello there'}\n", "extra.yaml: screens.a"),
        ("id: extra\nstart: nowhere\nscreens:\n  a: {type: info, text: x.y}\n", "start screen 'nowhere'"),
        (
            "id: extra\nstart: a\nscreens:\n  a: {type: menu, text: x.y, options: [{label: x.z, next: b}]}\n",
            "extra:a: next 'b' names an unknown screen",
        ),
        (
            "id: extra\nstart: a\nscreens:\n  a: {type: menu, text: x.y, options: [{label: x.z, action: fly}]}\n",
            "extra:a: unknown action 'fly'",
        ),
        (
            "id: extra\nstart: a\nscreens:\n  a: {type: menu, text: x.y, options_from: [{source: x, store: k, next: a}]}\n",
            "unknown option source 'x'",
        ),
        ("id: extra\nstart: a\nscreens:\n  a: {type: banner, text: x.y}\n", "extra.yaml"),
        ("id: extra\nstart: a\nscreens: [", "not valid YAML"),
        (
            "id: extra\nstart: a\nscreens:\n  a: {type: router, routes: [{when: language, next: a}]}\n",
            "the last route must have no 'when'",
        ),
        ("id: extra\nstart: a\nscreens:\n  a: {type: menu, text: x.y}\n", "needs options"),
        (
            "id: extra\nstart: a\nscreens:\n  a: {type: input, text: x.y, store: d, next: a, min_length: 9, max_length: 3}\n",
            "min_length",
        ),
        ("id: main\nstart: a\nscreens:\n  a: {type: info, text: x.y}\n", "used twice"),
        (
            "id: extra\nstart: a\nscreens:\n  a: {type: input, text: x.y, store: d, next: a, branches: {unknown: {next: a}}}\n",
            "branches need an action",
        ),
        (
            "id: extra\nstart: a\nscreens:\n  a: {type: input, text: x.y, store: d, next: a, action: find_place, branches: {unknown: {next: b}}}\n",
            "extra:a: next 'b' names an unknown screen",
        ),
        (
            "id: extra\nstart: a\nscreens:\n  a: {type: input, text: x.y, store: d, next: a, action: find_place, branches: {unknown: {next: a, hint: Oops}}}\n",
            "extra.yaml: screens.a",
        ),
        (
            "id: extra\nstart: a\nscreens:\n  a: {type: router, routes: [{next: b, action: fly}]}\n  b: {type: info, text: x.y}\n",
            "extra:a: unknown action 'fly'",
        ),
    ],
)
def test_broken_flows_are_refused(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(FlowError, match=message.replace("(", r"\(")):
        _load(tmp_path, extra)
