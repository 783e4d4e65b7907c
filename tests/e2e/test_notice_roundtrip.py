"""Subscribing (USSD and SMS) → meeting → dry run → scheduled notice in four languages through the
real SDK to the fake AT server → delivery reports → RSVP replies → counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import select

from gateway.db.base import utcnow
from gateway.outbox.dispatcher import Dispatcher
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.api.test_committees_api import token
from tests.broadcasts.test_broadcasts import text
from tests.fakes.at_server import FakeAfricasTalking
from tests.helpers import UssdCaller


async def test_notice_round_trip(
    client: httpx.AsyncClient,
    gateway: Gateway,
    at: FakeAfricasTalking,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    # Four residents sign up, one per language, by USSD and by SMS.
    for phone, language_key in (("+22376000601", "1"), ("+22376000602", "2")):
        caller = UssdCaller(client, phone)
        await caller.dial()
        for answer in (language_key, "4", "1", "1"):  # language, notices, Mali, Kadiolo
            await caller.send(answer)
        assert (await caller.send("9")).startswith("END ")  # Zégoua
    await text(client, "+22670000603", "KAN DYU")
    await text(client, "+22670000603", "AVIS Niangoloko")
    await text(client, "+22670000604", "GOAM MOS")
    await text(client, "+22670000604", "AVIS Niangoloko")

    organiser = await token(gateway, "organiser")
    meeting = await client.post(
        "/api/v1/meetings",
        headers=organiser,
        json={
            "title": {"fr": "Forum frontalier", "bm": "Dancɛ lajɛ", "dyu": "Dancɛ lajɛ", "mos": "Tẽns lagma"},
            "place": "Mairie de Zégoua",
            "starts_at": (utcnow() + timedelta(days=4)).isoformat(),
            "timezone": "Africa/Bamako",
        },
    )
    send_at = utcnow() + timedelta(minutes=30)
    created = await client.post(
        "/api/v1/broadcasts",
        headers=organiser,
        json={
            "kind": "notice",
            "areas": ["Zégoua", "Niangoloko"],
            "meeting_id": meeting.json()["id"],
            "send_at": send_at.isoformat(),
        },
    )
    view = created.json()
    scheduled = await client.post(f"/api/v1/broadcasts/{view['id']}/schedule", headers=organiser)
    assert scheduled.status_code == 200
    assert view["dry_run"]["recipients"] == 4
    assert {line["language"] for line in view["dry_run"]["languages"] if line["recipients"]} == {
        "fr",
        "bm",
        "dyu",
        "mos",
    }

    await gateway.expander.expand_all()  # not yet: scheduled
    assert (await client.get(f"/api/v1/broadcasts/{view['id']}", headers=organiser)).json()[
        "status"
    ] == "scheduled"
    await gateway.expander.expand_all(now=send_at + timedelta(seconds=1))
    at.received.clear()  # drop the subscription replies' requests from what we look at
    dispatcher = make_dispatcher()
    while await dispatcher.dispatch_once():
        pass
    notices = [
        r for r in at.received if "1" in r.message and ("Zégoua" in r.message or "Zegoua" in r.message)
    ]
    assert sorted(n for r in notices for n in r.to) == [
        "+22376000601",
        "+22376000602",
        "+22670000603",
        "+22670000604",
    ]

    async with gateway.sessionmaker() as db:
        sent = list(
            (await db.execute(select(OutboundMessage).where(OutboundMessage.kind == "notice"))).scalars()
        )
    for message in sent:
        status = "Failed" if message.language == "mos" else "Success"
        form = {"id": message.provider_message_id or "", "status": status, "failureReason": "UserIsInactive"}
        assert (await client.post("/callbacks/africastalking/delivery-reports", data=form)).status_code == 200

    await text(client, "+22376000601", "1")
    await text(client, "+22376000602", "Ayi")
    await text(client, "+22670000603", "Awɔ")
    stats = (await client.get(f"/api/v1/broadcasts/{view['id']}", headers=organiser)).json()["stats"]
    by_language = {line["language"]: line for line in stats}
    assert {
        lang: (s["delivered"], s["failed"], s["yes"], s["no"], s["no_answer"])
        for lang, s in by_language.items()
    } == {
        "fr": (1, 0, 1, 0, 0),
        "bm": (1, 0, 0, 1, 0),
        "dyu": (1, 0, 1, 0, 0),
        "mos": (0, 1, 0, 0, 1),
    }
    assert {line["area"] for line in stats} == {"Zégoua", "Niangoloko"}
