"""The real dispatcher sending through several channels (the fake Africa's Talking and the fake
Orange API): routes by country and kind, the channel a contact last wrote in, fallbacks,
channels down, and nothing sent twice."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
from sqlalchemy import update

from gateway.app import create_app
from gateway.contacts.service import get_or_create_contact
from gateway.db.base import utcnow
from gateway.outbox.health import write_state
from gateway.outbox.models import ChannelState, OutboundMessage
from gateway.sms.models import InboundMessage
from gateway.wiring import Gateway
from tests.fakes.orange_server import FakeOrange
from tests.helpers import channel_set, enqueue_to, make_due, outbox_rows
from tests.outbox.conftest import Fakes

MALI = ["+22376000001", "+22376000002"]
BURKINA = ["+22670000001", "+22670000002"]


async def one_sent_one_handed_back(gateway: Gateway, orange: FakeOrange) -> OutboundMessage:
    """After a pass of a channel too slow for both messages: one sent, the other back in the queue
    untouched (never tried, no worker's); that other one."""
    found = await outbox_rows(gateway)
    [sent] = [m for m in found if m.status == "sent"]
    [back] = [m for m in found if m is not sent]
    assert (back.status, back.attempts, back.claimed_by) == ("queued", 0, None)
    assert len(orange.sent) == 1
    return back


async def test_a_notice_to_mali_and_burkina_faso_goes_through_the_configured_routes(
    gateway: Gateway, fakes: Fakes
) -> None:
    channels = channel_set(
        "+226: orange; kind=alert: orange; *: africastalking", fakes.at_provider, fakes.make_orange()
    )
    await enqueue_to(gateway, MALI + BURKINA, "Réunion du forum lundi à Sikasso")
    await enqueue_to(gateway, ["+22376000009"], "Alerte: rapport urgent", kind="alert")
    assert await fakes.make_dispatcher(channels).dispatch_once() == 5
    assert sorted(fakes.at.recipients()) == MALI
    assert sorted(fakes.orange.recipients()) == sorted([*BURKINA, "+22376000009"])
    by_number = {m.id: m for m in await outbox_rows(gateway)}
    assert {m.status for m in by_number.values()} == {"sent"}
    assert [m.provider for m in by_number.values()] == ["africastalking"] * 2 + ["orange"] * 3
    assert all(m.provider_message_id for m in by_number.values())


async def test_a_channel_that_keeps_failing_hands_its_messages_to_the_next(
    gateway: Gateway, fakes: Fakes
) -> None:
    fakes.orange.faults.token_errors = 10**6  # no token: the message never left
    channels = channel_set("+226: orange>africastalking", fakes.make_orange(), fakes.at_provider)
    dispatcher = fakes.make_dispatcher(channels, route_fallback_after=2)
    await enqueue_to(gateway, BURKINA[:1], "Avis")
    await dispatcher.dispatch_once()
    [row] = await outbox_rows(gateway)
    assert (row.status, row.channel_attempts, row.tried_channels) == ("queued", 1, "")
    await make_due(gateway)
    await dispatcher.dispatch_once()
    [row] = await outbox_rows(gateway)
    assert (row.status, row.tried_channels, row.channel_attempts) == ("queued", "orange", 0)
    assert row.next_attempt_at <= utcnow()  # the next channel at once, no backoff
    await dispatcher.dispatch_once()
    [row] = await outbox_rows(gateway)
    assert (row.status, row.provider, row.attempts) == ("sent", "africastalking", 3)
    assert fakes.at.recipients() == BURKINA[:1]
    assert fakes.orange.sent == []


async def test_a_refusal_moves_on_at_once_and_fails_only_at_the_end_of_the_route(
    gateway: Gateway, fakes: Fakes
) -> None:
    fakes.orange.faults.number_errors = dict.fromkeys(
        BURKINA, (403, "policyException", "POL0001", "no bundle")
    )
    channels = channel_set(
        "+22670000001: orange>africastalking; +226: orange", fakes.make_orange(), fakes.at_provider
    )
    dispatcher = fakes.make_dispatcher(channels)
    await enqueue_to(gateway, BURKINA, "Avis")
    await dispatcher.dispatch_once()
    moved, failed = await outbox_rows(gateway)
    assert (moved.status, moved.tried_channels, moved.last_error) == ("queued", "orange", "orange: POL0001")
    assert (failed.status, failed.failure_reason, failed.provider) == ("failed", "POL0001", "orange")
    await dispatcher.dispatch_once()  # due at once
    moved, _ = await outbox_rows(gateway)
    assert (moved.status, moved.provider) == ("sent", "africastalking")
    assert fakes.at.recipients() == BURKINA[:1]


async def test_an_opt_out_is_never_routed_around(gateway: Gateway, fakes: Fakes) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await get_or_create_contact(db, gateway.vault, MALI[0])
    fakes.at.faults.number_codes[MALI[0]] = 406  # UserInBlacklist
    channels = channel_set("*: africastalking>orange", fakes.at_provider, fakes.make_orange())
    dispatcher = fakes.make_dispatcher(channels)
    await enqueue_to(gateway, MALI[:1], "Avis")
    await dispatcher.dispatch_once()
    await make_due(gateway)
    assert await dispatcher.dispatch_once() == 0
    [row] = await outbox_rows(gateway)
    assert (row.status, row.failure_reason) == ("failed", "UserInBlacklist")
    assert fakes.orange.sent == []


async def test_a_channel_marked_down_is_passed_over_and_readyz_says_so(
    gateway: Gateway, fakes: Fakes
) -> None:
    fakes.orange.faults.token_errors = 1
    channels = channel_set("+226: orange>africastalking", fakes.make_orange(), fakes.at_provider)
    dispatcher = fakes.make_dispatcher(channels, channel_down_after=1, channel_down_s=600)
    await enqueue_to(gateway, BURKINA[:1], "Premier")
    await dispatcher.dispatch_once()  # Orange's token endpoint answers 503: down
    await enqueue_to(gateway, BURKINA[1:], "Second")
    await dispatcher.dispatch_once()  # only the second is due: straight to Africa's Talking
    first, second = await outbox_rows(gateway)
    assert (first.status, second.status, second.provider) == ("queued", "sent", "africastalking")
    assert fakes.orange.sent == []
    assert fakes.at.recipients() == BURKINA[1:]

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
    first, _ = await outbox_rows(gateway)
    assert (first.status, first.provider) == ("sent", "orange")  # tried again, and it is back
    async with gateway.sessionmaker() as db:
        state = await db.get(ChannelState, "orange")
    assert state is not None
    assert state.state == "ok"


async def test_a_reply_goes_back_through_the_channel_the_contact_wrote_in(
    gateway: Gateway, fakes: Fakes
) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        contact = await get_or_create_contact(db, gateway.vault, MALI[0])
        db.add(InboundMessage(provider="orange", external_id="in-1", contact_id=contact.id, text="Bonjour"))
        db.add(InboundMessage(provider="africastalking", external_id="in-0", contact_id=contact.id, text="x"))
    async with gateway.sessionmaker() as db, db.begin():  # the latest is the one that counts
        db.add(InboundMessage(provider="orange", external_id="in-2", contact_id=contact.id, text="Encore"))
    channels = channel_set("*: last>africastalking", fakes.at_provider, fakes.make_orange())
    await enqueue_to(gateway, MALI, "Merci", kind="reply")
    await enqueue_to(gateway, MALI[:1], "Référence: R-7K3F", kind="receipt", scrub=True)  # anonymous too
    assert await fakes.make_dispatcher(channels).dispatch_once() == 3
    assert sorted(fakes.orange.recipients()) == [MALI[0], MALI[0]]
    assert fakes.at.recipients() == MALI[1:]


async def test_a_token_that_expires_mid_broadcast_loses_and_repeats_nothing(
    gateway: Gateway, fakes: Fakes
) -> None:
    numbers = [f"+2267000{i:04d}" for i in range(12)]
    fakes.orange.faults.expire_tokens_after = 5
    await enqueue_to(gateway, numbers, "Réunion")
    assert await fakes.make_dispatcher(channel_set("", fakes.make_orange())).dispatch_once() == 12
    assert {m.status for m in await outbox_rows(gateway)} == {"sent"}
    assert sorted(fakes.orange.recipients()) == numbers
    assert fakes.orange.refused_tokens >= 1
    assert fakes.orange.token_requests >= 2


async def test_too_fast_waits_as_long_as_orange_asked(gateway: Gateway, fakes: Fakes) -> None:
    fakes.orange.faults.throttled, fakes.orange.faults.retry_after = 1, "120"
    await enqueue_to(gateway, BURKINA[:1], "Avis")
    await fakes.make_dispatcher(channel_set("", fakes.make_orange())).dispatch_once()
    [row] = await outbox_rows(gateway)
    assert row.status == "queued"
    assert row.next_attempt_at >= utcnow() + timedelta(seconds=100)


async def test_a_channel_busy_past_the_lease_hands_its_messages_back(gateway: Gateway, fakes: Fakes) -> None:
    slow = fakes.make_orange(rate_per_s=0.2)  # one message every 5 s, and the lease allows 10 s / 3
    await enqueue_to(gateway, BURKINA, "Avis")
    dispatcher = fakes.make_dispatcher(channel_set("", slow), dispatch_lease_s=10)
    # A claim no bigger than the channel sends in a third of the lease: 0.2/s x 10 s / 3 -> 1.
    assert dispatcher.claim_size == 1
    assert await dispatcher.dispatch_once() == 1  # one went; the other was never claimed
    await one_sent_one_handed_back(gateway, fakes.orange)


async def test_a_claim_busy_past_the_lease_hands_its_messages_back(gateway: Gateway, fakes: Fakes) -> None:
    slow = fakes.make_orange(rate_per_s=0.2)  # one message every 5 s, and the lease allows 10 s / 3
    await enqueue_to(gateway, BURKINA, "Avis")
    dispatcher = fakes.make_dispatcher(channel_set("", slow), dispatch_lease_s=10)
    dispatcher.claim_size = 2  # as if the claim had been sized for a faster channel
    assert await dispatcher.dispatch_once() == 1  # one went; the other was handed back, not held
    back = await one_sent_one_handed_back(gateway, fakes.orange)
    assert back.next_attempt_at > utcnow()


async def test_a_channel_state_never_keeps_a_number(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await write_state(
            db,
            "orange",
            "down",
            "SVC0004: invalid address tel:+22376000001 (+226 70 00 00 01), 76.12.34.56, 76-12-34-57",
        )
    async with gateway.sessionmaker() as db:
        state = await db.get(ChannelState, "orange")
    assert state is not None
    assert "22376000001" not in state.detail
    assert "70 00 00 01" not in state.detail
    assert "76.12.34.56" not in state.detail  # dotted and dashed, as people write them
    assert "76-12-34-57" not in state.detail
    assert "SVC0004" in state.detail  # the error code stays
