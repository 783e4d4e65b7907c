"""/api/v1/reports: filters, export, status changes, committee tokens kept to their areas, audit."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.audit.models import AuditEvent
from gateway.committees.service import NewMember
from gateway.contacts.service import get_or_create_contact
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.api.test_committees_api import token
from tests.helpers import MakeCommittee, MakeReport

URL = "/api/v1/reports"


@pytest.fixture
async def world(gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport) -> dict[str, str]:
    await make_committee("Comité Zégoua", ["Zégoua"], [NewMember("Maire", "+22376100001", "fr")])
    await make_committee("Comité Banfora", ["Banfora"], [])
    async with gateway.sessionmaker() as db, db.begin():
        contact = await get_or_create_contact(db, gateway.vault, "+22376000070")
        contact.language = "fr"
    zegoua = await make_report("Zégoua", contact_id=contact.id, text="Vol de bétail près du marché")
    await make_report("Zégoua", topic="community_conflict", anonymous=True)
    banfora = await make_report("Banfora", topic="cross_border_trade", language="dyu")
    return {"zegoua": zegoua.reference, "banfora": banfora.reference}


async def test_filters(client: httpx.AsyncClient, gateway: Gateway, world: dict[str, str]) -> None:
    viewer = await token(gateway, "viewer")
    everything = (await client.get(URL, headers=viewer)).json()
    assert len(everything) == 3
    assert "+2237" not in json.dumps(everything)
    assert [
        r["reference"] for r in (await client.get(URL, headers=viewer, params={"area": "Comoé"})).json()
    ] == [world["banfora"]]
    assert len((await client.get(URL, headers=viewer, params={"topic": "community_conflict"})).json()) == 1
    assert len((await client.get(URL, headers=viewer, params={"language": "dyu"})).json()) == 1
    assert len((await client.get(URL, headers=viewer, params={"since": "2099-01-01"})).json()) == 0
    assert len((await client.get(URL, headers=viewer, params={"limit": 2})).json()) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"topic": "weather"}, "topic"),
        ({"since": "yesterday"}, "since"),
        ({"limit": 0}, "limit"),
        ({"area": "Atlantis"}, "area"),
        ({"status": "lost"}, "status"),
    ],
)
async def test_bad_filters_are_422_naming_the_field(
    params: dict[str, object], field: str, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.get(URL, headers=await token(gateway, "viewer"), params=params)
    assert response.status_code == 422
    assert field in response.text


async def test_committee_token_sees_only_its_areas(
    client: httpx.AsyncClient, gateway: Gateway, world: dict[str, str]
) -> None:
    own = await token(gateway, "committee", "Comité Zégoua")
    listed = (await client.get(URL, headers=own)).json()
    assert {r["commune"] for r in listed} == {"Zégoua"}
    assert (await client.get(URL, headers=own, params={"area": "Banfora"})).json() == []
    assert (await client.get(f"{URL}/{world['banfora']}", headers=own)).status_code == 404
    export = await client.get(f"{URL}/export", headers=own, params={"format": "jsonl"})
    assert world["banfora"] not in export.text
    assert (
        await client.patch(f"{URL}/{world['banfora']}", headers=own, json={"status": "in_progress"})
    ).status_code == 404


async def test_export_and_audit(client: httpx.AsyncClient, gateway: Gateway, world: dict[str, str]) -> None:
    organiser = await token(gateway, "organiser")
    response = await client.get(f"{URL}/export", headers=organiser, params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3
    assert "phone" not in rows[0]
    await client.get(f"{URL}/{world['zegoua']}", headers=organiser)
    async with gateway.sessionmaker() as db:
        events = (await db.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars().all()
    assert [(e.action, e.rows) for e in events] == [("reports.export", 3), ("reports.read", 1)]
    env = {"GATEWAY_DATABASE_URL": gateway.settings.database_url, "GATEWAY_LOG_LEVEL": "WARNING"}
    import asyncio

    listed = await asyncio.to_thread(
        CliRunner().invoke, __import__("gateway.cli", fromlist=["app"]).app, ["audit"], env=env
    )
    assert "reports.export" in listed.stdout
    assert "test organiser" in listed.stdout


async def test_status_change_and_closing_tells_the_reporter(
    client: httpx.AsyncClient, gateway: Gateway, world: dict[str, str]
) -> None:
    organiser = await token(gateway, "organiser")
    moved = await client.patch(f"{URL}/{world['zegoua']}", headers=organiser, json={"status": "in_progress"})
    assert moved.json()["status"] == "in_progress"
    refused = await client.patch(f"{URL}/{world['zegoua']}", headers=organiser, json={"status": "closed"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "note"
    closed = await client.patch(
        f"{URL}/{world['zegoua']}",
        headers=organiser,
        json={"status": "closed", "note": "Les bêtes ont été rendues."},
    )
    assert closed.json()["status"] == "closed"
    viewer = await token(gateway, "viewer")
    assert (
        await client.patch(f"{URL}/{world['zegoua']}", headers=viewer, json={"status": "new"})
    ).status_code == 403
    async with gateway.sessionmaker() as db:
        [message] = (await db.execute(select(OutboundMessage))).scalars().all()
    assert world["zegoua"] in message.body
    assert "Les betes ont été rendues." in message.body  # GSM-7 spelling: ê -> e
