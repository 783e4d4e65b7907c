"""Text in -> report stored -> receipt out through the real SDK to the fake AT server ->
delivery report back -> status visible to the organiser."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.cli import app as cli
from gateway.outbox.dispatcher import Dispatcher
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.wiring import Gateway
from tests.fakes.at_server import FakeAfricasTalking
from tests.helpers import UssdCaller


async def test_sms_round_trip(
    client: httpx.AsyncClient,
    gateway: Gateway,
    at: FakeAfricasTalking,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    incoming = {
        "from": "+22670000011",
        "to": "28901",
        "text": "Tracasseries au poste de Niangoloko",
        "id": "in-1",
    }
    assert (await client.post("/callbacks/africastalking/sms", data=incoming)).status_code == 200
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report))).scalar_one()

    assert await make_dispatcher().dispatch_once() == 1
    [request] = at.received
    assert request.to == ["+22670000011"]
    assert report.reference in request.message

    async with gateway.sessionmaker() as db:
        message = (await db.execute(select(OutboundMessage))).scalar_one()
    assert message.status == "sent"
    dlr = {"id": message.provider_message_id or "", "status": "Success", "phoneNumber": "+22670000011"}
    assert (await client.post("/callbacks/africastalking/delivery-reports", data=dlr)).status_code == 200

    env = {"GATEWAY_DATABASE_URL": gateway.settings.database_url, "GATEWAY_LOG_LEVEL": "WARNING"}
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["outbox", "list", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert (row["status"], row["provider_message_id"], row["cost"]) == (
        "delivered",
        message.provider_message_id,
        "XOF 25.0000",
    )
    assert row["delivered_at"]
    assert "+22670000011" not in result.stdout
    assert "delivered 1" in result.stderr


async def test_ussd_report_gets_its_receipt_by_sms(
    caller: UssdCaller, gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: Callable[..., Dispatcher]
) -> None:
    await caller.dial()
    for answer in ("2", "1", "2", "1", "Zégoua", "Kɛlɛ bɛ sugu la"):  # bm, report, conflict, urgent
        await caller.send(answer)
    end = await caller.send("2")  # with my number
    await make_dispatcher().dispatch_once()
    [request] = at.received
    reference = next(word.rstrip(".") for word in end.split() if word.startswith("R-"))
    assert request.to == [caller.phone]
    assert reference in request.message


async def test_failed_messages_can_be_resent_from_the_cli(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: Callable[..., Dispatcher]
) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await gateway.outbox.enqueue(db, phone="+22376000005", text="Bonjour", language="fr", kind="reply")
    at.faults.server_errors = 5
    await make_dispatcher(sms_max_attempts=1).dispatch_once()
    env = {"GATEWAY_DATABASE_URL": gateway.settings.database_url, "GATEWAY_LOG_LEVEL": "WARNING"}
    listed = await asyncio.to_thread(
        CliRunner().invoke, cli, ["outbox", "list", "--status", "failed"], env=env
    )
    assert " failed " in listed.stdout
    assert "failed 1" in listed.stderr
    resent = await asyncio.to_thread(CliRunner().invoke, cli, ["outbox", "resend", "--all-failed"], env=env)
    assert "requeued 1" in resent.stderr
    at.faults.server_errors = 0
    await make_dispatcher().dispatch_once()
    async with gateway.sessionmaker() as db:
        message = (await db.execute(select(OutboundMessage))).scalar_one()
    assert message.status == "sent"
    assert at.messages_to("+22376000005") == ["Bonjour"]
