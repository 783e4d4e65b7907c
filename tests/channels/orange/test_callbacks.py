"""Orange's delivery receipts: each status recorded on the message Orange sent to that number."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.outbox.dispatcher import Dispatcher
from gateway.outbox.models import DeliveryEvent, OutboundMessage
from gateway.wiring import Gateway
from tests.channels.orange.conftest import MakeOrange
from tests.fakes.orange_server import FakeOrange

URL = "/callbacks/orange/delivery-reports"


def receipt(number: str, status: str, callback_data: str = "") -> dict[str, Any]:
    return {
        "deliveryInfoNotification": {
            "deliveryInfo": {"address": f"tel:{number}", "deliveryStatus": status},
            "callbackData": callback_data,
        }
    }


async def send_through_orange(gateway: Gateway, make_orange: MakeOrange, *phones: str) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        for phone in phones:
            await gateway.outbox.enqueue(db, phone=phone, text="Avis", language="fr", kind="notice")
    settings = gateway.settings.model_copy(update={"sms_rate_per_s": 0})
    await Dispatcher(gateway.sessionmaker, make_orange(), gateway.vault, settings).dispatch_once()


async def messages(gateway: Gateway) -> list[OutboundMessage]:
    async with gateway.sessionmaker() as db:
        return list((await db.execute(select(OutboundMessage).order_by(OutboundMessage.id))).scalars())


@pytest.mark.parametrize(
    ("statuses", "final"),
    [
        (["DeliveredToNetwork", "DeliveredToTerminal"], "delivered"),
        (["DeliveryImpossible"], "failed"),
        (["DeliveryUncertain"], "sent"),
    ],
)
async def test_receipts_move_the_message(
    statuses: list[str],
    final: str,
    gateway: Gateway,
    client: httpx.AsyncClient,
    orange: FakeOrange,
    make_orange: MakeOrange,
) -> None:
    await send_through_orange(gateway, make_orange, "+22670000001")
    for status in statuses:
        answer = await client.post(URL, json=receipt("+22670000001", status))
        assert answer.json() == {"status": "recorded"}
    [row] = await messages(gateway)
    assert row.status == final
    async with gateway.sessionmaker() as db:
        events = list((await db.execute(select(DeliveryEvent.provider_status))).scalars())
    assert sorted(events) == sorted(statuses)


async def test_a_repeated_receipt_is_kept_once(
    gateway: Gateway, client: httpx.AsyncClient, orange: FakeOrange, make_orange: MakeOrange
) -> None:
    await send_through_orange(gateway, make_orange, "+22670000001")
    for _ in range(2):
        assert (
            await client.post(URL, json=receipt("+22670000001", "DeliveredToTerminal"))
        ).status_code == 200
    async with gateway.sessionmaker() as db:
        assert len(list((await db.execute(select(DeliveryEvent))).scalars())) == 1


async def test_a_repeated_final_receipt_does_not_settle_the_next_message(
    gateway: Gateway, client: httpx.AsyncClient, orange: FakeOrange, make_orange: MakeOrange
) -> None:
    await send_through_orange(gateway, make_orange, "+22670000001")
    await send_through_orange(gateway, make_orange, "+22670000001")
    for _ in range(2):  # Orange says it twice for the first message
        answer = await client.post(URL, json=receipt("+22670000001", "DeliveredToTerminal"))
        assert answer.json() == {"status": "recorded"}
    first, second = await messages(gateway)
    assert (first.status, second.status) == ("delivered", "sent")


async def test_receipts_go_to_the_oldest_unsettled_message_to_that_number(
    gateway: Gateway, client: httpx.AsyncClient, orange: FakeOrange, make_orange: MakeOrange
) -> None:
    await send_through_orange(gateway, make_orange, "+22670000001")
    await send_through_orange(gateway, make_orange, "+22670000001")
    await client.post(URL, json=receipt("+22670000001", "DeliveredToTerminal"))
    first, second = await messages(gateway)
    assert (first.status, second.status) == ("delivered", "sent")
    await client.post(URL, json=receipt("+22670000001", "DeliveryImpossible"))
    first, second = await messages(gateway)
    assert (first.status, second.status) == ("delivered", "failed")


async def test_callback_data_naming_a_message_wins(
    gateway: Gateway, client: httpx.AsyncClient, orange: FakeOrange, make_orange: MakeOrange
) -> None:
    await send_through_orange(gateway, make_orange, "+22670000001", "+22670000001")
    first, second = await messages(gateway)
    assert second.provider_message_id
    await client.post(URL, json=receipt("+22670000001", "DeliveredToTerminal", second.provider_message_id))
    first, second = await messages(gateway)
    assert (first.status, second.status) == ("sent", "delivered")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "body is not JSON"),
        (b"[]", "deliveryInfoNotification.deliveryInfo"),
        (
            b'{"deliveryInfoNotification": {"deliveryInfo": {"address": "tel:+22670000001"}}}',
            "deliveryStatus",
        ),
        (
            b'{"deliveryInfoNotification": {"deliveryInfo": {"address": "tel:abc", "deliveryStatus": "X"}}}',
            "not a phone number",
        ),
    ],
)
async def test_malformed_receipts_are_refused(body: bytes, says: str, client: httpx.AsyncClient) -> None:
    answer = await client.post(URL, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert says in answer.json()["error"]


async def test_a_receipt_for_nothing_we_hold_is_answered_and_dropped(client: httpx.AsyncClient) -> None:
    answer = await client.post(URL, json=receipt("+22670000009", "DeliveredToTerminal"))
    assert answer.json() == {"status": "unknown message"}


async def test_the_callback_token_guards_the_receipts(gateway: Gateway) -> None:
    import dataclasses

    from gateway.app import create_app

    guarded = dataclasses.replace(
        gateway, settings=gateway.settings.model_copy(update={"callback_token": "t" * 24})
    )
    app = create_app(guarded.settings, guarded)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw.test") as c:
        assert (await c.post(URL, json=receipt("+22670000001", "DeliveredToTerminal"))).status_code == 403
        allowed = await c.post(f"{URL}?token={'t' * 24}", json=receipt("+22670000001", "DeliveredToTerminal"))
        assert allowed.status_code == 200
