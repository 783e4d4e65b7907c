"""Whose words each language reads: its own, else along its fallback chain (dyu -> bm -> fr,
mos -> fr), French only when the organiser allowed it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.broadcasts.texts import pick


@pytest.mark.parametrize(
    ("texts", "language", "french", "expected"),
    [
        ({"dyu": "Dancɛ", "bm": "Lajɛ"}, "dyu", False, ("Dancɛ", "dyu")),
        ({"bm": "Lajɛ", "fr": "Forum"}, "dyu", False, ("Lajɛ", "bm")),
        ({"fr": "Forum"}, "dyu", False, None),
        ({"fr": "Forum"}, "dyu", True, ("Forum", "fr")),
        ({"bm": "Lajɛ"}, "mos", True, None),  # Mooré readers are not sent Bambara
        ({"fr": "Forum"}, "mos", True, ("Forum", "fr")),
        ({"fr": "Forum"}, "fr", False, ("Forum", "fr")),  # French is French readers' own
        ({"fr": "", "bm": "Lajɛ"}, "fr", True, None),
    ],
)
def test_pick(texts: dict[str, str], language: str, french: bool, expected: tuple[str, str] | None) -> None:
    assert pick(texts, language, french) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "samedi 5 décembre"),
        ("bm", "sibiri 5 desanburu"),
        ("dyu", "sibiri 5 desanburu"),
        ("mos", "sibri yʋʋm-sar kiuug rasem 5"),
    ],
)
def test_a_meeting_day_names_its_weekday_in_every_language(language: str, expected: str) -> None:
    from datetime import date

    from gateway.broadcasts.texts import meeting_day
    from gateway.config import ROOT

    assert meeting_day(date(2026, 12, 5), language, ROOT / "locales") == expected


def test_without_weekday_names_a_language_gets_the_date_alone(tmp_path: Path) -> None:
    from datetime import date

    from gateway.broadcasts.texts import meeting_day

    (tmp_path / "mos").mkdir()
    (tmp_path / "mos" / "locale.yaml").write_text("months: null\n", encoding="utf-8")
    assert meeting_day(date(2026, 12, 5), "mos", tmp_path) == "5/12"


def test_one_clock_for_every_language() -> None:
    from datetime import datetime

    from gateway.broadcasts.texts import clock

    assert clock(datetime(2026, 12, 5, 9, 5)) == "09h05"
    assert clock(datetime(2026, 12, 5, 17, 30)) == "17h30"
