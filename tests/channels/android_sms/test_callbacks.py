"""The webhook route: signed events from a fake phone into the gateway, table-driven."""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.outbox.models import DeliveryEvent, OutboundMessage
from gateway.reports.models import Report
from gateway.sms.models import InboundMessage
from gateway.wiring import Gateway
from tests.fakes.android_sms_server import FakePhone, Webhook
from tests.helpers import count, sent_message

URL = "/callbacks/android_sms/events"
REPORT = "Des hommes armés sur la route de Zégoua"


async def post(client: httpx.AsyncClient, hook: Webhook, url: str = URL) -> httpx.Response:
    return await client.post(url, content=hook.body, headers=hook.headers)


def resigned(phone: FakePhone, hook: Webhook, **changes: str) -> Webhook:
    headers = {**hook.headers, **changes}
    return Webhook(hook.body, headers)


@dataclass
class Case:
    label: str
    status: int
    says: str
    stored: int


def cases(phone: FakePhone) -> list[tuple[Case, Webhook]]:
    good = phone.received("+22376000001", REPORT)
    now = int(time.time())
    return [
        (Case("signed", 200, "stored", 1), good),
        (Case("local number form", 200, "stored", 1), phone.received("76 00 00 01", REPORT)),
        (Case("no signature", 401, "missing", 0), Webhook(good.body, {"Content-Type": "application/json"})),
        (Case("bad signature", 401, "bad signature", 0), resigned(phone, good, **{"X-Signature": "00" * 32})),
        (
            Case("tampered body", 401, "bad signature", 0),
            Webhook(good.body.replace(b"Zgoua", b"Zgouo").replace(b"hommes", b"femmes"), good.headers),
        ),
        (Case("signed with another key", 401, "bad signature", 0), phone.sign(good.body, key="x" * 20)),
        (Case("an hour old", 401, "window", 0), phone.sign(good.body, timestamp=now - 3600)),
        (Case("from the future", 401, "window", 0), phone.sign(good.body, timestamp=now + 3600)),
        (Case("not JSON, signed", 400, "body is not JSON", 0), phone.sign(b"hello")),
        (
            Case("no sender, signed", 400, "payload.sender", 0),
            phone.sign(phone.event("sms:received", {"message": "x"})),
        ),
        (
            Case("an operator's notice", 200, "sender is not a phone number", 0),
            phone.received("OrangeML", "Bonus!"),
        ),
        (Case("a short code", 200, "sender is not a phone number", 0), phone.received("7000", "Solde: 0")),
        (Case("empty SMS", 200, "empty message", 0), phone.received("+22376000001", "  ")),
        (Case("ping", 200, "ignored", 0), phone.sign(phone.event("system:ping", {"health": {}}))),
    ]


@pytest.mark.parametrize("index", range(14))
async def test_incoming_events(
    index: int, phone_ml: FakePhone, android_client: httpx.AsyncClient, gateway: Gateway
) -> None:
    case, hook = cases(phone_ml)[index]
    response = await post(android_client, hook)
    assert (response.status_code, case.label) == (case.status, case.label)
    assert case.says in response.text
    assert await count(gateway, select(func.count()).select_from(InboundMessage)) == case.stored
    if case.status == 401:  # nothing read, nothing done
        assert await count(gateway, select(func.count()).select_from(OutboundMessage)) == 0


async def test_a_received_report_is_stored_with_its_receipt_queued(
    phone_ml: FakePhone, android_client: httpx.AsyncClient, gateway: Gateway
) -> None:
    hook = phone_ml.received("+22376000001", REPORT)
    response = await post(android_client, hook)
    assert response.json() == {"status": "stored"}
    async with gateway.sessionmaker() as db:
        inbound = (await db.execute(select(InboundMessage))).scalar_one()
        report = (await db.execute(select(Report))).scalar_one()
        receipt = (await db.execute(select(OutboundMessage))).scalar_one()
    assert (inbound.provider, inbound.intent, inbound.report_id) == ("android_sms", "report", report.id)
    assert inbound.to_code == "+22370000099"  # our SIM, not the sender
    assert report.reference in receipt.body
    assert gateway.vault.decrypt(receipt.phone_encrypted) == "+22376000001"
    # The app's content id and the time are kept only as a keyed digest.
    assert inbound.external_id.startswith("h:")
    app_id = json.loads(hook.body)["payload"][
        "messageId"
    ]  # six to eight hex digits: a chance match is one in millions
    assert app_id not in inbound.external_id


async def test_a_replayed_or_twice_registered_webhook_makes_one_report(
    phone_ml: FakePhone, android_client: httpx.AsyncClient, gateway: Gateway
) -> None:
    first = phone_ml.received("+22376000001", REPORT, event_id="event-1")
    again = phone_ml.sign(first.body, timestamp=int(time.time()) + 1)  # the app's retry: new timestamp
    other_registration = phone_ml.sign(first.body.replace(b'"event-1"', b'"event-2"'))
    answers = [await post(android_client, hook) for hook in (first, again, other_registration)]
    assert [a.json() for a in answers] == [
        {"status": "stored"},
        {"status": "duplicate"},
        {"status": "duplicate"},
    ]
    assert await count(gateway, select(func.count()).select_from(Report)) == 1
    assert await count(gateway, select(func.count()).select_from(OutboundMessage)) == 1


async def test_a_replay_is_still_recognised_after_a_restart(
    phone_ml: FakePhone, gateway: Gateway, android_gateway: Gateway
) -> None:
    hook = phone_ml.received("+22376000001", REPORT)
    for _process in range(2):  # a new app each time: nothing kept in memory between them
        app = create_app(android_gateway.settings, android_gateway)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
            await post(client, phone_ml.sign(hook.body))
    assert await count(gateway, select(func.count()).select_from(Report)) == 1


async def test_without_a_signing_key_the_endpoint_does_not_exist(
    phone_ml: FakePhone, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await post(client, phone_ml.received("+22376000001", REPORT))
    assert response.status_code == 404
    assert await count(gateway, select(func.count()).select_from(InboundMessage)) == 0


async def test_the_callback_token_is_required_when_set(phone_ml: FakePhone, android_gateway: Gateway) -> None:
    settings = android_gateway.settings.model_copy(update={"callback_token": "t" * 24})
    gateway = dataclasses.replace(android_gateway, settings=settings)
    app = create_app(settings, gateway)
    hook = phone_ml.received("+22376000001", REPORT)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
        refused = await post(client, hook, URL + "?token=wrong")
        taken = await post(client, hook, URL + "?token=" + "t" * 24)
    assert (refused.status_code, taken.status_code) == (403, 200)


@pytest.mark.parametrize(
    ("events", "final", "reason"),
    [
        (["sms:sent"], "sent", None),
        (["sms:sent", "sms:delivered"], "delivered", None),
        (["sms:sent", "sms:delivered", "sms:delivered"], "delivered", None),  # one per part
        (["sms:delivered", "sms:sent"], "delivered", None),  # a late report never moves it back
        (["sms:failed"], "failed", "Send result: RESULT_ERROR_GENERIC_FAILURE"),
    ],
)
async def test_statuses_are_recorded(
    events: list[str],
    final: str,
    reason: str | None,
    phone_ml: FakePhone,
    android_client: httpx.AsyncClient,
    gateway: Gateway,
) -> None:
    message_id = await sent_message(gateway, "gw0123")
    for event in events:
        response = await post(android_client, phone_ml.status(event, "gw0123", "+22376000001"))
        assert response.json() == {"status": "recorded"}
    async with gateway.sessionmaker() as db:
        message = await db.get(OutboundMessage, message_id)
        recorded = (await db.execute(select(DeliveryEvent.provider_status))).scalars().all()
    assert message is not None
    assert (message.status, message.failure_reason) == (final, reason)
    assert sorted(recorded) == sorted(set(events))


async def test_a_failure_reason_naming_a_number_is_masked(
    phone_ml: FakePhone, android_client: httpx.AsyncClient, gateway: Gateway
) -> None:
    message_id = await sent_message(gateway, "gw0456")
    hook = phone_ml.status("sms:failed", "gw0456", "+22376000001", "Delivery result from SC +22376999888: 64")
    await post(android_client, hook)
    async with gateway.sessionmaker() as db:
        message = await db.get(OutboundMessage, message_id)
    assert message is not None
    assert message.failure_reason
    assert "76999888" not in message.failure_reason


async def test_a_status_for_a_message_we_did_not_send_is_answered_200(
    phone_ml: FakePhone, android_client: httpx.AsyncClient
) -> None:
    # Refused, the app would retry it for two days (a receipt to an anonymous reporter is deleted
    # once sent: its delivery report finds nothing, as it should).
    response = await post(android_client, phone_ml.status("sms:delivered", "gw-unknown", "+22376000001"))
    assert (response.status_code, response.json()) == (200, {"status": "unknown message"})


async def test_a_status_that_comes_before_the_phones_answer_finds_its_message(
    phone_ml: FakePhone, android_client: httpx.AsyncClient, gateway: Gateway
) -> None:
    import asyncio

    from gateway.channels.android_sms.provider import AndroidSmsProvider
    from gateway.config import AndroidPhone
    from gateway.outbox.dispatcher import Dispatcher

    # The phone takes the message and sends it, and its webhook comes before its answer to us.
    phone_ml.faults.hold = 1
    provider = AndroidSmsProvider(
        (AndroidPhone("ml", phone_ml.url, phone_ml.username, phone_ml.password),), interval_s=0.0
    )
    async with gateway.sessionmaker() as db, db.begin():
        await gateway.outbox.enqueue(db, phone="+22376000001", text="Avis", language="fr", kind="reply")
    settings = gateway.settings.model_copy(update={"sms_rate_per_s": 0})
    dispatcher = Dispatcher(gateway.sessionmaker, provider, gateway.vault, settings)
    passing = asyncio.create_task(dispatcher.dispatch_once())
    try:
        async with asyncio.timeout(20):
            while not phone_ml.holding:
                await asyncio.sleep(0.01)  # waits for the phone to hold the request, not a delay
        [message_id] = list(phone_ml.messages)
        async with gateway.sessionmaker() as db:
            [row] = (await db.execute(select(OutboundMessage))).scalars().all()
        assert (row.status, row.provider_message_id) == ("sending", message_id)  # stored before the POST
        response = await post(android_client, phone_ml.status("sms:delivered", message_id, "+22376000001"))
        assert response.json() == {"status": "recorded"}
    finally:
        phone_ml.release()
        await passing
        await provider.aclose()
    async with gateway.sessionmaker() as db:
        [row] = (await db.execute(select(OutboundMessage))).scalars().all()
    # The phone's answer, recorded after, does not move it back to `sent`.
    assert (row.status, row.claimed_by, row.provider_message_id) == ("delivered", None, message_id)
    assert row.sent_at is not None
