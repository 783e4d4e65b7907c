"""PATCH /api/v1/reports/{ref}: place and topic set or corrected by organisers and committees,
audited, all or nothing, and a new place routed as if the report had been placed at once."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update

from gateway.audit.models import AuditEvent
from gateway.committees.models import Committee
from gateway.committees.service import NewMember
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report, ReportEvent
from gateway.wiring import Gateway
from tests.api.test_committees_api import token
from tests.helpers import MakeCommittee
from tests.sms.test_service import reports, text

MAYOR = NewMember("Maire de Zégoua", "+22376100301", "fr", "maire")


async def _patch(
    client: httpx.AsyncClient, headers: dict[str, str], reference: str, **body: object
) -> httpx.Response:
    return await client.patch(f"/api/v1/reports/{reference}", headers=headers, json=body)


async def test_an_organiser_places_a_placeless_report_and_its_committee_hears(
    client: httpx.AsyncClient, gateway: Gateway, make_committee: MakeCommittee
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR], schedule="daily 08:00")
    await text(client, "+22376000401", "URGENT on tire au marché")
    [report] = await reports(gateway)
    # A summary went out after the report was made, before anyone knew where it happened.
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(
            update(Committee)
            .where(Committee.id == committee.id)
            .values(last_digest_until=utcnow(), next_digest_at=utcnow())
        )
    organiser = await token(gateway, "organiser")
    response = await _patch(client, organiser, report.reference, place="Zégoua", topic="security_incident")
    assert response.status_code == 200, response.text
    assert (response.json()["commune"], response.json()["topic"]) == ("Zégoua", "security_incident")
    async with gateway.sessionmaker() as db:
        alerts = list(
            (await db.execute(select(OutboundMessage).where(OutboundMessage.kind == "alert"))).scalars()
        )
        events = [e.kind for e in (await db.execute(select(ReportEvent).order_by(ReportEvent.id))).scalars()]
        audit = (
            await db.execute(select(AuditEvent).where(AuditEvent.action == "reports.change"))
        ).scalar_one()
    assert [gateway.vault.decrypt(a.phone_encrypted) for a in alerts] == [MAYOR.phone]  # the alert it missed
    assert {"place", "topic"} <= set(events)
    assert "place=Zégoua" in audit.detail
    # … and the next summary counts it, though it was made before the last one.
    assert await gateway.scheduler.run_due(utcnow() + timedelta(minutes=1)) == 1
    async with gateway.sessionmaker() as db:
        summary = (
            await db.execute(select(OutboundMessage).where(OutboundMessage.kind == "summary"))
        ).scalar_one()
    assert ": 1 signalement (" in summary.body  # not "aucun signalement"


async def test_a_committee_corrects_its_own_reports_only(
    client: httpx.AsyncClient, gateway: Gateway, make_committee: MakeCommittee
) -> None:
    await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR])
    await text(client, "+22376000402", "Conflit foncier à Zégoua entre deux familles")
    await text(client, "+22376000403", "Vol de bétail, trois boeufs")  # no place: not theirs to see
    ours, placeless = await reports(gateway)
    committee = await token(gateway, "committee", "Comité Zégoua")
    assert (await _patch(client, committee, ours.reference, topic="community_conflict")).status_code == 200
    assert (await _patch(client, committee, placeless.reference, place="Zégoua")).status_code == 404


async def test_a_bad_change_is_refused_whole_with_its_field(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await text(client, "+22376000404", "Vol de bétail, trois boeufs")
    [report] = await reports(gateway)
    organiser = await token(gateway, "organiser")
    for body, field in (
        ({"place": "Atlantis"}, "place"),
        ({"place": "cercle:Kadiolo"}, "place"),  # a report's place is a commune
        ({"place": "Kourouma"}, "place"),  # two communes: say which
        ({"place": "Zégoua", "status": "closed"}, "note"),  # closing needs a note: the place is not kept
        ({}, "body"),
    ):
        response = await _patch(client, organiser, report.reference, **body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text
    [report] = await reports(gateway)
    assert (report.area_id, report.status) == (None, "new")
    async with gateway.sessionmaker() as db:
        assert list((await db.execute(select(Report.id).where(Report.area_id.is_not(None)))).scalars()) == []
