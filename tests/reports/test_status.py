"""Moving a report along tells its reporter once per real change of state, a few times a day at
most, with a note short enough for one SMS."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from gateway.contacts.service import get_or_create_contact
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import ReportEvent
from gateway.wiring import Gateway
from tests.api.test_committees_api import token
from tests.helpers import MakeCommittee, MakeReport

LONG_NOTE = "La patrouille mixte est passée au marché mardi et jeudi, " * 5


async def _told(gateway: Gateway) -> list[str]:
    async with gateway.sessionmaker() as db:
        return list((await db.execute(select(OutboundMessage.body).order_by(OutboundMessage.id))).scalars())


async def test_the_reporter_hears_of_real_changes_only_and_not_too_often(
    client: httpx.AsyncClient, gateway: Gateway, make_report: MakeReport
) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        contact = await get_or_create_contact(db, gateway.vault, "+22376000301")
    report = await make_report("Zégoua", contact_id=contact.id)
    organiser = await token(gateway, "organiser")

    async def move(status: str, note: str | None = None) -> None:
        response = await client.patch(
            f"/api/v1/reports/{report.reference}", headers=organiser, json={"status": status, "note": note}
        )
        assert response.status_code == 200, response.text

    await move("closed", LONG_NOTE[:400])
    assert len(await _told(gateway)) == 1
    await move("closed", "Encore une note")  # closed again: noted, nobody told
    assert len(await _told(gateway)) == 1
    for _ in range(4):  # reopened and closed four more times in a day
        await move("in_progress")
        await move("closed", "Réglé")
    messages = await _told(gateway)
    assert len(messages) == gateway.settings.reporter_notices_per_day
    assert len(messages[0]) < 250  # the note is cut for the SMS …
    async with gateway.sessionmaker() as db:
        notes = list(
            (await db.execute(select(ReportEvent.note).where(ReportEvent.note.is_not(None)))).scalars()
        )
    assert LONG_NOTE[:400] in notes  # … and kept whole in the report's history


async def test_a_note_too_long_is_refused(
    client: httpx.AsyncClient, gateway: Gateway, make_report: MakeReport
) -> None:
    report = await make_report("Zégoua")
    response = await client.patch(
        f"/api/v1/reports/{report.reference}",
        headers=await token(gateway, "organiser"),
        json={"status": "closed", "note": "x" * 501},
    )
    assert response.status_code == 422
    assert "note" in response.text
    assert await _told(gateway) == []


async def test_a_first_acknowledgement_tells_the_reporter_in_the_committee_s_name(
    client: httpx.AsyncClient, gateway: Gateway, make_report: MakeReport, make_committee: MakeCommittee
) -> None:
    # As a member's `OK R-…` by SMS: once, naming a committee (the acting one's, or one that
    # holds the place), never the person; nobody for an anonymous report.
    await make_committee("Comité Kadiolo", ["cercle:Kadiolo"], [])
    await make_committee("Comité Zégoua", ["Zégoua"], [])
    async with gateway.sessionmaker() as db, db.begin():
        contact = await get_or_create_contact(db, gateway.vault, "+22376000302")
    named = await make_report("Zégoua", contact_id=contact.id)
    by_member = await make_report("Zégoua", contact_id=contact.id)
    anonymous = await make_report("Zégoua", anonymous=True)
    organiser = await token(gateway, "organiser")
    member = await token(gateway, "committee", "Comité Zégoua")

    async def move(reference: str, headers: dict[str, str], status: str) -> None:
        response = await client.patch(
            f"/api/v1/reports/{reference}", headers=headers, json={"status": status}
        )
        assert response.status_code == 200, response.text

    await move(named.reference, organiser, "acknowledged")
    await move(named.reference, organiser, "acknowledged")  # again: nobody told twice
    await move(named.reference, organiser, "in_progress")  # no longer a first answer
    await move(named.reference, organiser, "acknowledged")
    await move(by_member.reference, member, "acknowledged")
    await move(anonymous.reference, organiser, "acknowledged")
    assert await _told(gateway) == [  # in GSM-7 spelling: ç -> c
        f"Comité Kadiolo: votre signalement {named.reference} a bien été recu. Merci.",
        f"Comité Zégoua: votre signalement {by_member.reference} a bien été recu. Merci.",
    ]


async def test_no_committee_holding_the_place_means_nobody_to_name(
    client: httpx.AsyncClient, gateway: Gateway, make_report: MakeReport
) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        contact = await get_or_create_contact(db, gateway.vault, "+22376000303")
    report = await make_report("Zégoua", contact_id=contact.id)
    response = await client.patch(
        f"/api/v1/reports/{report.reference}",
        headers=await token(gateway, "organiser"),
        json={"status": "acknowledged"},
    )
    assert response.json()["status"] == "acknowledged"
    assert await _told(gateway) == []
