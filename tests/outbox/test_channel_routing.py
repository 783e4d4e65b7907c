"""The real dispatcher sending through several channels (the fake Africa's Talking and the fake
Orange API): routes by country and kind, the channel a contact last wrote in, fallbacks,
channels down, and nothing sent twice."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from gateway.app import create_app
from gateway.channels.last_channel import last_channels
from gateway.contacts.service import get_or_create_contact
from gateway.db.base import utcnow
from gateway.outbox.dispatcher import Dispatcher
from gateway.outbox.health import write_state
from gateway.outbox.models import ChannelState, OutboundMessage
from gateway.outbox.provider import SmsProvider
from gateway.outbox.routing import ChannelSet, parse_routes
from gateway.sms.models import InboundMessage
from gateway.wiring import Gateway
from tests.channels.orange.conftest import MakeOrange
from tests.fakes.at_server import FakeAfricasTalking
from tests.fakes.orange_server import FakeOrange

MakeDispatcher = Callable[..., Dispatcher]
MALI = ["+22376000001", "+22376000002"]
BURKINA = ["+22670000001", "+22670000002"]


def channel_set(routes: str, *providers: SmsProvider) -> ChannelSet:
    names = [p.name for p in providers]
    return ChannelSet({p.name: p for p in providers}, parse_routes(routes, names), last_channels)


async def enqueue(
    gateway: Gateway, phones: list[str], text: str, kind: str = "notice", scrub: bool = False
) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        for phone in phones:
            await gateway.outbox.enqueue(
                db, phone=phone, text=text, language="fr", kind=kind, scrub_after_send=scrub
            )


async def rows(gateway: Gateway) -> list[OutboundMessage]:
    async with gateway.sessionmaker() as db:
        return list((await db.execute(select(OutboundMessage).order_by(OutboundMessage.id))).scalars())


async def make_due(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(OutboundMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))


async def test_a_notice_to_mali_and_burkina_faso_goes_through_the_configured_routes(
    gateway: Gateway,
    at: FakeAfricasTalking,
    at_provider: SmsProvider,
    orange: FakeOrange,
    make_orange: MakeOrange,
    make_dispatcher: MakeDispatcher,
) -> None:
    channels = channel_set("+226: orange; kind=alert: orange; *: africastalking", at_provider, make_orange())
    await enqueue(gateway, MALI + BURKINA, "Réunion du forum lundi à Sikasso")
    await enqueue(gateway, ["+22376000009"], "Alerte: rapport urgent", kind="alert")
    assert await make_dispatcher(channels).dispatch_once() == 5
    assert sorted(at.recipients()) == MALI
    assert sorted(orange.recipients()) == sorted([*BURKINA, "+22376000009"])
    by_number = {m.id: m for m in await rows(gateway)}
    assert {m.status for m in by_number.values()} == {"sent"}
    assert [m.provider for m in by_number.values()] == ["africastalking"] * 2 + ["orange"] * 3
    assert all(m.provider_message_id for m in by_number.values())


async def test_a_channel_that_keeps_failing_hands_its_messages_to_the_next(
    gateway: Gateway,
    at: FakeAfricasTalking,
    at_provider: SmsProvider,
    orange: FakeOrange,
    make_orange: MakeOrange,
    make_dispatcher: MakeDispatcher,
) -> None:
    orange.faults.token_errors = 10**6  # no token: the message never left
    channels = channel_set("+226: orange>africastalking", make_orange(), at_provider)
    dispatcher = make_dispatcher(channels, route_fallback_after=2)
    await enqueue(gateway, BURKINA[:1], "Avis")
    await dispatcher.dispatch_once()
    [row] = await rows(gateway)
    assert (row.status, row.channel_attempts, row.tried_channels) == ("queued", 1, "")
    await make_due(gateway)
    await dispatcher.dispatch_once()
    [row] = await rows(gateway)
    assert (row.status, row.tried_channels, row.channel_attempts) == ("queued", "orange", 0)
    assert row.next_attempt_at <= utcnow()  # the next channel at once, no backoff
    await dispatcher.dispatch_once()
    [row] = await rows(gateway)
    assert (row.status, row.provider, row.attempts) == ("sent", "africastalking", 3)
    assert at.recipients() == BURKINA[:1]
    assert orange.sent == []


async def test_a_refusal_moves_on_at_once_and_fails_only_at_the_end_of_the_route(
    gateway: Gateway,
    at: FakeAfricasTalking,
    at_provider: SmsProvider,
    orange: FakeOrange,
    make_orange: MakeOrange,
    make_dispatcher: MakeDispatcher,
) -> None:
    orange.faults.number_errors = dict.fromkeys(BURKINA, (403, "policyException", "POL0001", "no bundle"))
    channels = channel_set("+22670000001: orange>africastalking; +226: orange", make_orange(), at_provider)
    dispatcher = make_dispatcher(channels)
    await enqueue(gateway, BURKINA, "Avis")
    await dispatcher.dispatch_once()
    moved, failed = await rows(gateway)
    assert (moved.status, moved.tried_channels, moved.last_error) == ("queued", "orange", "orange: POL0001")
    assert (failed.status, failed.failure_reason, failed.provider) == ("failed", "POL0001", "orange")
    await dispatcher.dispatch_once()  # due at once
    moved, _ = await rows(gateway)
    assert (moved.status, moved.provider) == ("sent", "africastalking")
    assert at.recipients() == BURKINA[:1]


async def test_an_opt_out_is_never_routed_around(
    gateway: Gateway,
    at: FakeAfricasTalking,
    at_provider: SmsProvider,
    orange: FakeOrange,
    make_orange: MakeOrange,
    make_dispatcher: MakeDispatcher,
) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await get_or_create_contact(db, gateway.vault, MALI[0])
    at.faults.number_codes[MALI[0]] = 406  # UserInBlacklist
    channels = channel_set("*: africastalking>orange", at_provider, make_orange())
    dispatcher = make_dispatcher(channels)
    await enqueue(gateway, MALI[:1], "Avis")
    await dispatcher.dispatch_once()
    await make_due(gateway)
    assert await dispatcher.dispatch_once() == 0
    [row] = await rows(gateway)
    assert (row.status, row.failure_reason) == ("failed", "UserInBlacklist")
    assert orange.sent == []


async def test_a_channel_marked_down_is_passed_over_and_readyz_says_so(
    gateway: Gateway,
    at: FakeAfricasTalking,
    at_provider: SmsProvider,
    orange: FakeOrange,
    make_orange: MakeOrange,
    make_dispatcher: MakeDispatcher,
) -> None:
    orange.faults.token_errors = 1
    channels = channel_set("+226: orange>africastalking", make_orange(), at_provider)
    dispatcher = make_dispatcher(channels, channel_down_after=1, channel_down_s=600)
    await enqueue(gateway, BURKINA[:1], "Premier")
    await dispatcher.dispatch_once()  # Orange's token endpoint answers 503: down
    await enqueue(gateway, BURKINA[1:], "Second")
    await dispatcher.dispatch_once()  # only the second is due: straight to Africa's Talking
    first, second = await rows(gateway)
    assert (first.status, second.status, second.provider) == ("queued", "sent", "africastalking")
    assert orange.sent == []
    assert at.recipients() == BURKINA[1:]

    app = create_app(gateway.settings, dataclasses.replace(gateway, channels=channels))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw.test") as client:
        ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ok"
    assert ready["channels"]["orange"]["state"] == "down"
    assert ready["channels"]["africastalking"]["state"] == "ok"

    await make_due(gateway)
    async with gateway.sessionmaker() as db, db.begin():  # its time out is over
        await db.execute(update(ChannelState).values(down_until=utcnow() - timedelta(seconds=1)))
    await dispatcher.dispatch_once()
    first, _ = await rows(gateway)
    assert (first.status, first.provider) == ("sent", "orange")  # tried again, and it is back
    async with gateway.sessionmaker() as db:
        state = await db.get(ChannelState, "orange")
    assert state is not None
    assert state.state == "ok"


async def test_a_reply_goes_back_through_the_channel_the_contact_wrote_in(
    gateway: Gateway,
    at: FakeAfricasTalking,
    at_provider: SmsProvider,
    orange: FakeOrange,
    make_orange: MakeOrange,
    make_dispatcher: MakeDispatcher,
) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        contact = await get_or_create_contact(db, gateway.vault, MALI[0])
        db.add(InboundMessage(provider="orange", external_id="in-1", contact_id=contact.id, text="Bonjour"))
        db.add(InboundMessage(provider="africastalking", external_id="in-0", contact_id=contact.id, text="x"))
    async with gateway.sessionmaker() as db, db.begin():  # the latest is the one that counts
        db.add(InboundMessage(provider="orange", external_id="in-2", contact_id=contact.id, text="Encore"))
    channels = channel_set("*: last>africastalking", at_provider, make_orange())
    await enqueue(gateway, MALI, "Merci", kind="reply")
    await enqueue(gateway, MALI[:1], "Référence: R-7K3F", kind="receipt", scrub=True)  # anonymous too
    assert await make_dispatcher(channels).dispatch_once() == 3
    assert sorted(orange.recipients()) == [MALI[0], MALI[0]]
    assert at.recipients() == MALI[1:]


async def test_a_token_that_expires_mid_broadcast_loses_and_repeats_nothing(
    gateway: Gateway, orange: FakeOrange, make_orange: MakeOrange, make_dispatcher: MakeDispatcher
) -> None:
    numbers = [f"+2267000{i:04d}" for i in range(12)]
    orange.faults.expire_tokens_after = 5
    await enqueue(gateway, numbers, "Réunion")
    assert await make_dispatcher(channel_set("", make_orange())).dispatch_once() == 12
    assert {m.status for m in await rows(gateway)} == {"sent"}
    assert sorted(orange.recipients()) == numbers
    assert orange.refused_tokens >= 1
    assert orange.token_requests >= 2


async def test_too_fast_waits_as_long_as_orange_asked(
    gateway: Gateway, orange: FakeOrange, make_orange: MakeOrange, make_dispatcher: MakeDispatcher
) -> None:
    orange.faults.throttled, orange.faults.retry_after = 1, "120"
    await enqueue(gateway, BURKINA[:1], "Avis")
    await make_dispatcher(channel_set("", make_orange())).dispatch_once()
    [row] = await rows(gateway)
    assert row.status == "queued"
    assert row.next_attempt_at >= utcnow() + timedelta(seconds=100)


async def test_a_channel_busy_past_the_lease_hands_its_messages_back(
    gateway: Gateway, orange: FakeOrange, make_orange: MakeOrange, make_dispatcher: MakeDispatcher
) -> None:
    slow = make_orange(rate_per_s=0.2)  # one message every 5 s, and the lease allows 10 s / 3
    await enqueue(gateway, BURKINA, "Avis")
    dispatcher = make_dispatcher(channel_set("", slow), dispatch_lease_s=10)
    # A claim no bigger than the channel sends in a third of the lease: 0.2/s x 10 s / 3 -> 1.
    assert dispatcher.claim_size == 1
    assert await dispatcher.dispatch_once() == 1  # one went; the other was never claimed
    found = await rows(gateway)
    [sent] = [m for m in found if m.status == "sent"]
    [left] = [m for m in found if m is not sent]
    assert (left.status, left.attempts, left.claimed_by) == ("queued", 0, None)
    assert len(orange.sent) == 1


async def test_a_claim_busy_past_the_lease_hands_its_messages_back(
    gateway: Gateway, orange: FakeOrange, make_orange: MakeOrange, make_dispatcher: MakeDispatcher
) -> None:
    slow = make_orange(rate_per_s=0.2)  # one message every 5 s, and the lease allows 10 s / 3
    await enqueue(gateway, BURKINA, "Avis")
    dispatcher = make_dispatcher(channel_set("", slow), dispatch_lease_s=10)
    dispatcher.claim_size = 2  # as if the claim had been sized for a faster channel
    assert await dispatcher.dispatch_once() == 1  # one went; the other was handed back, not held
    found = await rows(gateway)
    [sent] = [m for m in found if m.status == "sent"]
    [back] = [m for m in found if m is not sent]
    assert (back.status, back.attempts, back.claimed_by) == ("queued", 0, None)
    assert back.next_attempt_at > utcnow()
    assert len(orange.sent) == 1


async def test_a_channel_state_never_keeps_a_number(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await write_state(
            db, "orange", "down", "SVC0004: invalid address tel:+22376000001 (+226 70 00 00 01)"
        )
    async with gateway.sessionmaker() as db:
        state = await db.get(ChannelState, "orange")
    assert state is not None
    assert "22376000001" not in state.detail
    assert "70 00 00 01" not in state.detail
