"""A broadcast limited to some readers' languages: the expander sends it to those only, the
preview counts exactly whom the expander will queue, a reminder keeps its notice's languages, and
a language left out gets nothing even when French may stand in for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.broadcasts.errors import BroadcastError
from gateway.broadcasts.lifecycle import schedule
from gateway.broadcasts.meetings import create_meeting
from gateway.broadcasts.models import Broadcast, BroadcastRecipient
from gateway.broadcasts.preview import Preview, Price, preview
from gateway.broadcasts.service import clean_languages, create_broadcast
from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.broadcasts.test_broadcasts import subscribers

EVERYONE = {
    "+22376009101": "fr",
    "+22376009102": "bm",
    "+22670009103": "dyu",
    "+22670009104": "mos",
    "+22670009105": None,  # never chose a language: a French reader
}
OPTED_OUT = "+22670009106"  # a Mooré speaker who said STOP


async def people(gateway: Gateway) -> dict[int, str | None]:
    """Everyone subscribed to Zégoua or Niangoloko; contact id -> language as stored."""
    places = {"+223": "Zégoua", "+226": "Niangoloko"}
    await subscribers(
        gateway,
        [(phone, language or "fr", places[phone[:4]]) for phone, language in EVERYONE.items()]
        + [(OPTED_OUT, "mos", "Niangoloko")],
    )
    async with gateway.sessionmaker() as db, db.begin():
        contacts = list((await db.execute(select(Contact))).scalars())
        languages = {}
        for contact in contacts:
            phone = gateway.vault.decrypt(contact.phone_encrypted)
            if phone == OPTED_OUT:
                contact.opted_out_at = utcnow()
                continue
            contact.language = EVERYONE[phone]
            languages[contact.id] = contact.language
    return languages


async def announcement(
    gateway: Gateway,
    languages: tuple[str, ...],
    *,
    texts: dict[str, str] | None = None,
    fallback: bool = False,
) -> Broadcast:
    words = texts or {
        "fr": "Route fermée.",
        "bm": "Sira datugun.",
        "dyu": "Sira datugun.",
        "mos": "Sore pagbo.",
    }
    async with gateway.sessionmaker() as db, db.begin():
        broadcast = await create_broadcast(
            db,
            kind="announcement",
            areas=["Zégoua", "Niangoloko"],
            send_at=None,
            texts=words,
            french_fallback=fallback,
            languages=languages,
        )
        await schedule(db, broadcast, gateway.texts, send_at=utcnow())
        return broadcast


async def shown(gateway: Gateway, broadcast: Broadcast) -> Preview:
    async with gateway.sessionmaker() as db:
        return await preview(
            db, await gateway.directory.get(db), gateway.texts, broadcast, gsm7=True, price=Price(0, "XOF")
        )


async def queued(gateway: Gateway, broadcast_id: int) -> dict[int, str]:
    """contact id -> the language it was sent in."""
    async with gateway.sessionmaker() as db:
        rows = await db.execute(
            select(BroadcastRecipient.contact_id, BroadcastRecipient.language).where(
                BroadcastRecipient.broadcast_id == broadcast_id
            )
        )
        return {contact_id: language for contact_id, language in rows if contact_id is not None}


@pytest.mark.parametrize(
    ("chosen", "reached"),
    [
        ((), {"fr", "bm", "dyu", "mos", None}),  # empty: every language, as before
        (("mos",), {"mos"}),
        (("fr",), {"fr", None}),  # no language: read as French
        (("bm", "mos"), {"bm", "mos"}),
        (("mos", "bm", "mos"), {"bm", "mos"}),  # order and repeats do not matter
    ],
)
async def test_the_expander_sends_to_the_chosen_languages_only_and_the_preview_counts_them(
    chosen: tuple[str, ...], reached: set[str | None], gateway: Gateway
) -> None:
    languages = await people(gateway)
    broadcast = await announcement(gateway, chosen)
    before = await shown(gateway, broadcast)
    await gateway.expander.expand_all(utcnow() + timedelta(minutes=1))

    sent = await queued(gateway, broadcast.id)
    assert {languages[contact_id] for contact_id in sent} == reached  # the opted-out one never
    assert before.recipients == len(sent)
    by_language: dict[str, int] = {}
    for language in sent.values():
        by_language[language] = by_language.get(language, 0) + 1
    assert {line.language: line.recipients for line in before.lines if line.recipients} == by_language
    # The preview has a line for each chosen language only (all of them when none is chosen).
    assert [line.language for line in before.lines] == [
        code for code in ("fr", "bm", "dyu", "mos") if not chosen or code in chosen
    ]


async def test_a_language_left_out_gets_nothing_even_with_the_french_fallback(gateway: Gateway) -> None:
    languages = await people(gateway)
    french_only = {"fr": "Route fermée."}
    everyone = await announcement(gateway, (), texts=french_only, fallback=True)
    limited = await announcement(gateway, ("fr", "bm"), texts=french_only, fallback=True)
    limited_preview = (await shown(gateway, limited)).as_dict()
    await gateway.expander.expand_all(utcnow() + timedelta(minutes=1))

    # Without a filter the French fallback reaches every language; with one, only those chosen.
    assert {languages[c] for c in await queued(gateway, everyone.id)} == {"fr", "bm", "dyu", "mos", None}
    limited_sent = await queued(gateway, limited.id)
    assert {languages[c] for c in limited_sent} == {"fr", "bm", None}
    assert set(limited_sent.values()) == {"fr", "bm"}
    assert limited_preview["recipients"] == len(limited_sent)
    assert [line["language"] for line in limited_preview["languages"]] == ["fr", "bm"]
    assert limited_preview["falls_back_to_french"] == ["bm"]


async def test_a_reminder_keeps_its_notices_languages(gateway: Gateway) -> None:
    languages = await people(gateway)
    async with gateway.sessionmaker() as db, db.begin():
        meeting = await create_meeting(
            db,
            title={"fr": "Forum frontalier", "mos": "Tõnd lagem-n-taoore"},
            place="Mairie de Niangoloko",
            area="Niangoloko",
            starts_at=utcnow() + timedelta(days=5),
            timezone="Africa/Ouagadougou",
            agenda={},
        )
        notice = await create_broadcast(
            db,
            kind="notice",
            areas=["Zégoua", "Niangoloko"],
            send_at=None,
            meeting=meeting,
            languages=["mos"],
        )
        await schedule(db, notice, gateway.texts)
    async with gateway.sessionmaker() as db:
        reminder = (await db.execute(select(Broadcast).where(Broadcast.parent_id == notice.id))).scalar_one()
    assert reminder.languages == ["mos"]
    # Before the notice has gone out the reminder's preview counts its subscribers: Mooré only.
    early = await shown(gateway, reminder)
    assert [(line.language, line.recipients) for line in early.lines] == [("mos", 1)]

    await gateway.expander.expand_all(utcnow() + timedelta(minutes=1))  # the notice, not the reminder
    assert {languages[c] for c in await queued(gateway, notice.id)} == {"mos"}
    assert await queued(gateway, reminder.id) == {}
    await gateway.expander.expand_all(utcnow() + timedelta(days=5))
    assert {languages[c] for c in await queued(gateway, reminder.id)} == {"mos"}


def test_unknown_language_codes_are_refused_naming_the_field() -> None:
    assert clean_languages(["mos", "fr", "mos"]) == ["fr", "mos"]
    assert clean_languages([]) == []
    with pytest.raises(BroadcastError) as caught:
        clean_languages(["mos", "en"])
    assert caught.value.field == "languages"
    assert "en" in str(caught.value)
