"""Mooré keywords as residents type them: in the standard spelling, in capitals without the
tilde (AYO, SONGRE, YAGDEM), and in the GSM-7 spelling the gateway itself sends (YANGDEM, SING)."""

from __future__ import annotations

import pytest

from gateway.config import ROOT
from gateway.sms.keywords import Keywords

KEYWORDS = Keywords.load(ROOT / "flows" / "sms" / "keywords.yaml")


@pytest.mark.parametrize(
    ("text", "kind", "rest", "language"),
    [
        # Answers to a meeting notice: ayo is the everyday "no", n-ye "yes".
        ("Ayo", "rsvp", "no", "mos"),
        ("AYO", "rsvp", "no", "mos"),
        ("ayo!", "rsvp", "no", "mos"),
        ("Pa", "rsvp", "no", "mos"),
        ("N-ye", "rsvp", "yes", "mos"),
        ("NYE", "rsvp", "yes", "mos"),
        ("N'ye", "rsvp", "yes", "mos"),
        # Help.
        ("Sõngre", "help", "", "mos"),
        ("SONGRE", "help", "", "mos"),
        ("songe", "help", "", "mos"),
        # Notices again after STOP (sɩng, "begin").
        ("Sɩng", "start", "", "mos"),
        ("SING", "start", "", "mos"),
        # Stop.
        ("Base", "stop", "", "mos"),
        # Meeting notices for a commune, as AVIS Zégoua.
        ("Tigsgo Zégoua", "subscribe", "Zégoua", "mos"),
        ("TIGSG", "subscribe", "", "mos"),
        # A committee member acknowledging a report.
        ("N-ye R-7K3F", "ack", "R-7K3F", "mos"),
        ("NYE r7k3f", "ack", "r7k3f", "mos"),
        # Words inside a report are not commands.
        ("Ayo neb be ka zabdẽ", "text", "Ayo neb be ka zabdẽ", None),
        ("Sõngre ka be ye", "text", "Sõngre ka be ye", None),
        ("Base militaire attaquée", "text", "Base militaire attaquée", None),
    ],
)
def test_mos_keywords(text: str, kind: str, rest: str, language: str | None) -> None:
    command = KEYWORDS.parse(text)
    assert (command.kind, command.rest, command.language) == (kind, rest, language)


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("Yãgdem! neb wʋsg be sorã zugu", True),
        ("YAGDEM neb be ka", True),  # typed without the tilde
        ("yangdem", True),  # the GSM-7 spelling the gateway sends
        ("Zabr buud sʋka", False),
    ],
)
def test_mos_urgency_word(text: str, urgent: bool) -> None:
    assert KEYWORDS.is_urgent(text) is urgent
