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
from tests.helpers import MakeReport

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
