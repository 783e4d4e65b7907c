"""Jula (dyu) keywords as residents of western Burkina Faso type them: ɔnhɔn for yes, in the standard
spelling, in capitals without the Manding letters (ONHON) and in the GSM-7 spelling (ònhòn)."""

from __future__ import annotations

import pytest

from gateway.config import ROOT
from gateway.sms.keywords import Keywords

KEYWORDS = Keywords.load(ROOT / "flows" / "sms" / "keywords.yaml")


@pytest.mark.parametrize(
    ("text", "kind", "rest", "language"),
    [
        # Answer to a meeting notice.
        ("Ɔnhɔn", "rsvp", "yes", "dyu"),
        ("ɔnhɔn", "rsvp", "yes", "dyu"),
        ("ONHON", "rsvp", "yes", "dyu"),
        ("ònhòn", "rsvp", "yes", "dyu"),  # the GSM-7 spelling phones can type
        ("Onhon!", "rsvp", "yes", "dyu"),
        ("ayi", "rsvp", "no", "bm"),  # shared with Bambara, listed there first
        # A committee member acknowledging a report.
        ("Ɔnhɔn R-7K3F", "ack", "R-7K3F", "dyu"),
        ("ONHON r7k3f", "ack", "r7k3f", "dyu"),
        # Notices again after STOP.
        ("Daminɛ", "start", "", "dyu"),
        ("DAMINE", "start", "", "dyu"),
        ("daminè", "start", "", "dyu"),
        # Meeting notices for a commune (as AVIS Zégoua).
        ("Kunnafoniw Bama", "subscribe", "Bama", "dyu"),
        ("KUNNAFONIW", "subscribe", "", "dyu"),
        # Words inside a report are not commands.
        ("Ɔnhɔn mɔgɔw bɛ kɛlɛ la", "text", "Ɔnhɔn mɔgɔw bɛ kɛlɛ la", None),
        ("Daminɛ kɛlɛ kɛra Bama", "text", "Daminɛ kɛlɛ kɛra Bama", None),
    ],
)
def test_dyu_keywords(text: str, kind: str, rest: str, language: str | None) -> None:
    command = KEYWORDS.parse(text)
    assert (command.kind, command.rest, command.language) == (kind, rest, language)


@pytest.mark.parametrize("text", ["A ni ce", "a ni ce!", "Abarika", "I ni ce"])
def test_dyu_thanks_are_courtesy(text: str) -> None:
    assert KEYWORDS.is_courtesy(text)
