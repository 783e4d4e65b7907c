"""Filling a translated message and fitting it to a phone: the same for a USSD screen and an SMS."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from string import Formatter

from gateway.i18n.gsm7 import septets, to_gsm7

log = logging.getLogger(__name__)


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "-"


class _Filled(Mapping[str, str]):
    """A mapping as format_map reads it: a name it lacks is "-" (a message must never crash)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> str:
        try:
            return self._values[key]
        except KeyError:
            return "-"

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in Formatter().parse(template) if name}
    except ValueError:
        return {"<malformed>"}


def fill(template: str, values: Mapping[str, str]) -> str:
    """str.format_map that survives a translator's stray brace instead of crashing a session."""
    if "{" not in template:
        return template
    try:
        return template.format_map(_Missing(values) if isinstance(values, dict) else _Filled(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        log.warning("malformed placeholder in message %r", template[:40])
        return template


def measure(text: str, language: str) -> int:
    return septets(to_gsm7(text, language))


def finish(text: str, language: str, limit: int) -> str:
    """GSM-7 spelling, then a hard stop at the limit (flows check keeps real screens below it)."""
    spelled = to_gsm7(text, language)
    if septets(spelled) <= limit:
        return spelled
    log.error("screen over %d septets after checks; cut", limit)
    out = []
    used = 0
    for ch in spelled:
        used += septets(ch)
        if used > limit:
            break
        out.append(ch)
    return "".join(out)


def excerpt(text: str, limit: int) -> str:
    """Whole words up to `limit` characters, with an ellipsis when something was left out."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return (cut or text[:limit]) + "…"
