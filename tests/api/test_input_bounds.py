"""Inputs at the edge of what the columns and dates hold get a 4xx naming the field, or are
stored whole — on PostgreSQL as on SQLite (SQLite forgives lengths PostgreSQL refuses)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from gateway.committees.service import NewMember
from gateway.reports.models import ReportEvent
from gateway.wiring import Gateway
from tests.api.test_committees_api import token
from tests.committees.test_committees import text
from tests.helpers import MakeCommittee, MakeReport

LONG_NAME = "Maire de la commune rurale de Zégoua, président du comité de suivi du forum " + "x" * 44
FAR = "9999-12-31T23:59:59-14:00"


async def test_a_member_with_a_long_name_can_acknowledge(
    client: httpx.AsyncClient, gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    assert len(LONG_NAME) == 120  # the longest name a member may have
    await make_committee("Comité Zégoua", ["Zégoua"], [NewMember(LONG_NAME, "+22376100031", "fr", "maire")])
    report = await make_report("Zégoua")
    await text(client, "+22376100031", f"OK {report.reference}")
    async with gateway.sessionmaker() as db:
        event = (await db.execute(select(ReportEvent).where(ReportEvent.kind == "ack"))).scalar_one()
    assert event.actor == LONG_NAME


async def test_a_token_with_a_long_name_can_move_a_report(
    client: httpx.AsyncClient, gateway: Gateway, make_report: MakeReport
) -> None:
    from gateway.accounts.tokens import create_token

    async with gateway.sessionmaker() as db, db.begin():
        value = await create_token(db, "Secrétariat " * 10, "organiser")
    report = await make_report("Zégoua")
    response = await client.patch(
        f"/api/v1/reports/{report.reference}",
        headers={"Authorization": f"Bearer {value}"},
        json={"status": "in_progress", "note": "Vu"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/api/v1/reports?since={FAR}", "since"),
        (f"/api/v1/reports?until={FAR}", "until"),
        (f"/api/v1/reports/export?since={FAR}", "since"),
        ("/api/v1/reports?since=0001-01-01T00:00:00%2B14:00", "since"),
    ],
)
async def test_dates_out_of_range_in_a_query_are_refused(
    url: str, field: str, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.get(url.replace("+", "%2B"), headers=await token(gateway, "viewer"))
    assert response.status_code == 422, response.text
    assert field in response.text


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/meetings", {"title": {"fr": "Forum"}, "place": "Mairie", "starts_at": FAR}, "starts_at"),
        ("/api/v1/broadcasts", {"kind": "announcement", "areas": ["Zégoua"], "send_at": FAR}, "send_at"),
        (
            "/api/v1/broadcasts",
            {"kind": "announcement", "areas": ["Zégoua"], "send_at": "1200-01-01T00:00"},
            "send_at",
        ),
    ],
)
async def test_dates_out_of_range_in_a_body_are_refused(
    url: str, body: dict[str, object], field: str, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.post(url, headers=await token(gateway, "organiser"), json=body)
    assert response.status_code == 422, response.text
    assert field in response.text
