"""Length limits derived from where messages appear, and the SMS budget from the French."""

from __future__ import annotations

from pathlib import Path

from gateway.i18n.catalogs import Catalogs
from gateway.i18n.display import Display, Part, derive_limits
from gateway.i18n.sms_review import render_sms
from tests.i18n.po_files import write_po


def _display(units: int, *parts: tuple[str, str]) -> Display:
    return Display("ussd", "x:y", "", "…", units, 160, tuple(Part(m, t, 160 - units) for m, t in parts))


def test_a_message_gets_the_room_of_its_most_crowded_display() -> None:
    limits = derive_limits(
        [_display(150, ("a", "Retour"), ("b", "Oui")), _display(100, ("a", "Retour"))],
        {},
    )
    assert limits == {"a": 6 + 10, "b": 3 + 10}


def test_family_members_never_sampled_get_the_slot_of_the_one_that_was() -> None:
    limits = derive_limits(
        [_display(158, ("status.closed", "clos"))], {"status": ["status.closed", "status.open"]}
    )
    assert limits == {"status.closed": 6, "status.open": 6}


def test_an_sms_may_take_as_many_segments_as_the_french(tmp_path: Path) -> None:
    long_fr = "Mot " * 50  # 200 characters: two segments of 153
    write_po(
        tmp_path,
        "fr",
        f'msgid "one"\nmsgstr "Merci {{reference}}."\n\nmsgid "two"\nmsgstr "{long_fr}"\n\n'
        'msgid "st.a"\nmsgstr "reçu"\n\nmsgid "st.b"\nmsgstr "en cours de traitement"\n\n'
        'msgid "with"\nmsgstr "État: {status}."\n',
    )
    write_po(tmp_path, "bm", 'msgid "one"\nmsgstr "I ni ce {reference}."\n\nmsgid "st.a"\nmsgstr "sɔrɔla"\n')
    catalogs = Catalogs(tmp_path)
    displays = render_sms(
        ["one", "two", "with"],
        catalogs.translator("bm"),
        catalogs.translator("fr"),
        {"reference": "R-7K3F9"},
        {"status": ["st.a", "st.b"]},
        set(),
        gsm7=True,
    )
    one, two, with_status = displays
    assert one.text == "I ni ce R-7K3F9."
    assert one.budget == 160
    assert one.units == 16
    assert two.budget == 306  # the French needs two segments
    # bm has st.a, not st.b: the longest text in bm is the French fallback of st.b.
    assert with_status.text == "État: en cours de traitement."
    assert [p.msgid for p in with_status.parts] == ["with", "st.b"]
