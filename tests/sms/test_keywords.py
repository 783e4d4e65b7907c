from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.config import ROOT
from gateway.sms.detect import detect_language
from gateway.sms.keywords import COMMANDS, Keywords, fold

KEYWORDS = Keywords.load(ROOT / "flows" / "sms" / "keywords.yaml")


def test_fold_keeps_manding_letters() -> None:
    assert fold("ARRÊT") == "arret"
    assert fold("Dɛmɛ") == "dɛmɛ"
    assert fold("dɛmɛ") != fold("deme")
    assert fold("SÕNGE") == "songe"


@pytest.mark.parametrize(
    ("text", "kind", "rest", "language"),
    [
        ("STOP", "stop", "", "fr"),
        ("Arrêt", "stop", "", "fr"),
        ("arret!", "stop", "", "fr"),
        ("Dabila", "stop", "", "bm"),
        ("start", "start", "", "fr"),
        ("AIDE", "help", "", "fr"),
        ("Dɛmɛ", "help", "", "bm"),
        ("DEME", "help", "", "bm"),  # the GSM-7 spelling phones can type
        ("Sõnge", "help", "", "mos"),
        ("LANGUE bm", "language", "bm", "fr"),
        ("kan dyu", "language", "dyu", "bm"),
        ("Goam MOS", "language", "MOS", "mos"),
        ("SUIVI R-7K3F", "status", "R-7K3F", "fr"),
        ("SIGNALER vol de bétail à Fourou", "report", "vol de bétail à Fourou", "fr"),
        ("OK R-7K3F", "ack", "R-7K3F", "fr"),
        ("Awɔ R-7K3F", "ack", "R-7K3F", "bm"),
        ("awo r7k3f", "ack", "r7k3f", "bm"),  # the GSM-7 spelling phones type
        ("N-ye R-7K3F", "ack", "R-7K3F", "mos"),
        ("INFO R-7K3F", "info", "R-7K3F", "fr"),
        ("Ok merci pour la réunion", "text", "Ok merci pour la réunion", None),
        ("Awɔ", "rsvp", "yes", "bm"),
        ("1", "rsvp", "yes", "fr"),
        ("2", "rsvp", "no", "fr"),
        ("Non", "rsvp", "no", "fr"),
        ("ayi", "rsvp", "no", "bm"),
        ("AVIS Zégoua", "subscribe", "Zégoua", "fr"),
        ("avis", "subscribe", "", "fr"),
        ("Laseli mɔgɔw bɛ kɛlɛ la", "report", "mɔgɔw bɛ kɛlɛ la", "bm"),
        # Command words inside a report are not commands: the report is never lost to them.
        (
            "Stop aux tracasseries au poste de Koloko",
            "text",
            "Stop aux tracasseries au poste de Koloko",
            None,
        ),
        ("Base militaire attaquée cette nuit", "text", "Base militaire attaquée cette nuit", None),
        ("Aide alimentaire volée", "text", "Aide alimentaire volée", None),
        ("", "text", "", None),
    ],
)
def test_parse(text: str, kind: str, rest: str, language: str | None) -> None:
    command = KEYWORDS.parse(text)
    assert (command.kind, command.rest, command.language) == (kind, rest, language)


@pytest.mark.parametrize(
    ("text", "reference", "tentative"),
    [
        ("R-7K3F", "R-7K3F", False),
        ("r-7k3f", "R-7K3F", False),
        ("R 7K3F", "R-7K3F", False),
        ("r7k3f", "R-7K3F", True),
        ("Renard", "R-ENARD", True),
    ],
)
def test_references(text: str, reference: str, tentative: bool) -> None:
    command = KEYWORDS.parse(text)
    assert (command.kind, command.reference, command.tentative) == ("status", reference, tentative)


def test_language_names() -> None:
    assert KEYWORDS.language_named("Bamanankan") == "bm"
    assert KEYWORDS.language_named("julakan") == "dyu"
    assert KEYWORDS.language_named("Mooré") == "mos"
    assert KEYWORDS.language_named("klingon") is None


def test_urgency_words() -> None:
    assert KEYWORDS.is_urgent("URGENT des hommes armés")
    assert KEYWORDS.is_urgent("farati bɛ yen")
    assert not KEYWORDS.is_urgent("réunion demain")


@given(st.text(max_size=300))
def test_parse_never_crashes(text: str) -> None:
    command = KEYWORDS.parse(text)
    assert command.kind in (*COMMANDS, "text")


@pytest.mark.parametrize(
    ("text", "phone", "language"),
    [
        ("Des hommes armés sont dans le village", "+22376000001", "fr"),
        ("Mɔgɔw bɛ kɛlɛ la dugu kɔnɔ", "+22376000001", "bm"),
        ("Mɔgɔw bɛ kɛlɛ la dugu kɔnɔ", "+22670000001", "dyu"),
        ("mogo be kele la dugu kono", "+22670000001", "dyu"),
        ("Ned wʋsgo sẽn be tẽnga", "+22670000001", "mos"),
        ("12345", "+22376000001", "fr"),
    ],
)
def test_detect_language(text: str, phone: str, language: str) -> None:
    assert detect_language(text, phone) == language
