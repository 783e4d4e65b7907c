"""Claims and leases with several workers: a pass that outlasts its lease never sends a message
twice, an answer is recorded only by the worker that still holds the claim, and an uncertain send
never leaves its channel (not through a fallback route, not when the channel is marked down, not
when its claim lapses)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, update

from gateway.db.base import utcnow
from gateway.outbox import claims, recording
from gateway.outbox.dispatcher import claim_size
from gateway.outbox.models import ChannelState, OutboundMessage
from gateway.outbox.provider import RecipientResult
from gateway.outbox.routing import parse_routes
from gateway.wiring import Gateway
from tests.channels.android_sms.conftest import MakeProvider, config
from tests.fakes.android_sms_server import FakePhone
from tests.helpers import MakeDispatcher, channel_set, enqueue_to, make_due, outbox_rows
from tests.outbox.conftest import Fakes

NUMBERS = [f"+2237600001{i}" for i in range(8)]


async def age_claims_but_the_newest(gateway: Gateway) -> None:
    """As if the lease had run out for every claim but the one whose request is in flight now
    (confirmed last): the clock moved on, no sleep."""
    async with gateway.sessionmaker() as db, db.begin():
        newest = (
            await db.execute(
                select(func.max(OutboundMessage.claimed_at)).where(OutboundMessage.status == "sending")
            )
        ).scalar_one()
        await db.execute(
            update(OutboundMessage)
            .where(OutboundMessage.status == "sending", OutboundMessage.claimed_at < newest)
            .values(claimed_at=utcnow() - timedelta(hours=1))
        )


@dataclass
class SlowChannel:
    """One number per request, like Orange and the phones; on its `stall_at`-th request the test
    lets another worker act, as if this pass had taken longer than the lease."""

    name: str = "slow"
    max_recipients: int = 1
    rate_per_s: float = 0.0
    stall_at: int = 2
    sent: list[str] = field(default_factory=list)
    on_stall: Callable[[], object] | None = None

    async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
        self.sent.extend(recipients)
        if len(self.sent) == self.stall_at and self.on_stall is not None:
            stall, self.on_stall = self.on_stall, None
            await stall()  # type: ignore[misc]
        return [RecipientResult(p, "accepted", "Sent", f"id-{len(self.sent)}-{p[-2:]}") for p in recipients]


async def test_a_pass_longer_than_the_lease_never_sends_a_message_twice(
    gateway: Gateway, make_dispatcher: MakeDispatcher
) -> None:
    channel = SlowChannel()
    first = make_dispatcher(channel, sms_concurrency=1)
    first.worker_id = "first"
    second = make_dispatcher(channel, sms_concurrency=1)
    second.worker_id = "second"

    async def meanwhile() -> None:
        # The first worker's lease has run out for what it has not sent yet: the second takes it
        # back and sends it, while the first is still in its pass.
        await age_claims_but_the_newest(gateway)
        assert await second.release_stale_claims() == len(NUMBERS) - 2
        assert await second.dispatch_once() == len(NUMBERS) - 2

    channel.on_stall = meanwhile
    # The first reading of the first worker's clock stamps its claim; every later one finds the
    # pass a lease old, so each request is confirmed first, as in a pass that outlasts its lease.
    readings = itertools.count()
    lapsed = timedelta(seconds=gateway.settings.dispatch_lease_s)
    first.clock = lambda: utcnow() + (lapsed if next(readings) else timedelta())
    await enqueue_to(gateway, NUMBERS)
    await first.dispatch_once()
    assert sorted(channel.sent) == sorted(NUMBERS)  # each number once, not twice
    found = await outbox_rows(gateway)
    assert {m.status for m in found} == {"sent"}
    assert all(m.claimed_by is None for m in found)


async def test_an_answer_is_recorded_only_by_the_worker_that_still_holds_the_claim(
    gateway: Gateway, make_dispatcher: MakeDispatcher
) -> None:
    await enqueue_to(gateway, NUMBERS[:1])
    [mine] = await claims.claim_due(gateway.sessionmaker, gateway.vault, "first", 10)
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(OutboundMessage).values(claimed_at=utcnow() - timedelta(hours=1)))
    assert await claims.release_stale_claims(gateway.sessionmaker, 300) == 1
    [theirs] = await claims.claim_due(gateway.sessionmaker, gateway.vault, "second", 10)
    assert theirs.id == mine.id
    # The first worker's late answer (a failure) must not touch the second's claim.
    await recording.record_results(
        gateway.sessionmaker,
        gateway.vault,
        [mine],
        [RecipientResult(mine.phone, "permanent", "InvalidPhoneNumber")],
        provider="slow",
        max_attempts=5,
        retry_base_s=1,
        worker_id="first",
    )
    [row] = await outbox_rows(gateway)
    assert (row.status, row.claimed_by, row.failure_reason) == ("sending", "second", None)
    # And a claim confirmed by its owner only.
    assert await claims.confirm(gateway.sessionmaker, "first", "slow", [row.id]) == set()
    assert await claims.confirm(gateway.sessionmaker, "second", "slow", [row.id]) == {row.id}


def test_a_claim_is_no_bigger_than_the_slowest_channel_sends_in_a_third_of_the_lease(
    gateway: Gateway,
) -> None:
    settings = gateway.settings.model_copy(update={"dispatch_lease_s": 300, "sms_batch_size": 100})
    assert claim_size(settings, [0.0]) == 500  # no pace: the usual
    assert claim_size(settings, [5.0]) == 500  # Orange's 5/s: 500 in 100 s
    assert claim_size(settings, [1 / 30]) == 3  # a phone at one SMS every 30 s
    assert claim_size(settings, [5.0, 1 / 30]) == 3
    assert claim_size(settings, [1 / 3600]) == 1  # at least one


async def test_an_uncertain_android_send_never_goes_out_through_the_fallback(
    gateway: Gateway, phone_ml: FakePhone, make_provider: MakeProvider, fakes: Fakes
) -> None:
    # The phone stores the message and the connection drops before its answer. The route has a
    # fallback, one failure moves a message on, one failed request marks a channel down: none of
    # it may send the message through Orange, whatever the number of tries.
    phone_ml.faults.drops, phone_ml.faults.keep_dropped = 1, True
    android = make_provider(config(phone_ml, "ml", "+223"), down_s=3600.0, uncertain_hold_s=0.0)
    channels = channel_set("*: android_sms>orange", android, fakes.make_orange())
    dispatcher = fakes.make_dispatcher(
        channels, route_fallback_after=1, channel_down_after=1, sms_max_attempts=6
    )
    await enqueue_to(gateway, NUMBERS[:1], "Votre signalement R-7K3F")
    await dispatcher.dispatch_once()
    async with gateway.sessionmaker() as db:
        state = await db.get(ChannelState, "android_sms")
    assert state is not None
    assert state.state == "down"
    for _ in range(4):
        await make_due(gateway)
        await dispatcher.dispatch_once()
    [row] = await outbox_rows(gateway)
    assert (row.status, row.provider, row.tried_channels) == ("queued", "android_sms", "")
    assert row.last_error == "uncertain: waiting for phone ml"
    assert fakes.orange.sent == []
    # At the end of its attempts it fails, still without Orange.
    await make_due(gateway)
    await dispatcher.dispatch_once()
    [row] = await outbox_rows(gateway)
    assert row.status == "failed"
    assert row.last_error is not None
    assert "may have been sent" in row.last_error
    assert fakes.orange.sent == []
    assert len(phone_ml.messages) == 1


async def test_an_uncertain_orange_send_is_retried_through_orange_only_with_its_correlator(
    gateway: Gateway, fakes: Fakes
) -> None:
    fakes.orange.faults.server_errors = 3  # 503 to a send: Orange may have taken it
    channels = channel_set("*: orange>africastalking", fakes.make_orange(), fakes.at_provider)
    dispatcher = fakes.make_dispatcher(channels, route_fallback_after=1, channel_down_after=1)
    await enqueue_to(gateway, NUMBERS[:1])
    for _ in range(4):
        await dispatcher.dispatch_once()
        await make_due(gateway)
    [row] = await outbox_rows(gateway)
    assert (row.status, row.provider, row.tried_channels) == ("sent", "orange", "")
    assert [s.client_correlator for s in fakes.orange.sent] == [f"gw-{row.id}"]


async def test_a_claim_that_lapses_after_its_request_was_confirmed_stays_on_that_phone(
    gateway: Gateway,
) -> None:
    # A worker confirmed a request to phone ml and died before recording the answer.
    await enqueue_to(gateway, NUMBERS[:1])
    [claimed] = await claims.claim_due(gateway.sessionmaker, gateway.vault, "dead", 10)
    assert await claims.confirm(gateway.sessionmaker, "dead", "android_sms", [claimed.id], "gw-abc", "ml")
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(OutboundMessage).values(claimed_at=utcnow() - timedelta(hours=1)))
    assert await claims.release_stale_claims(gateway.sessionmaker, 300) == 1
    [again] = await claims.claim_due(gateway.sessionmaker, gateway.vault, "alive", 10)
    assert (again.uncertain, again.provider, again.ref, again.pin) == (True, "android_sms", "gw-abc", "ml")
    # Its route is then that channel only.
    routes = parse_routes("*: orange>android_sms", ["orange", "android_sms"])
    plan = routes.plan(again.phone, again.kind, pinned=again.provider, down={"android_sms"})
    assert (plan.channel, plan.has_next) == ("android_sms", False)


async def test_an_anonymous_receipt_never_goes_through_a_phone_unless_allowed(
    gateway: Gateway, phone_ml: FakePhone, make_provider: MakeProvider, fakes: Fakes
) -> None:
    android = make_provider(config(phone_ml, "ml", "+223"))
    assert android.keeps_copies
    receipt = "Votre signalement anonyme R-7K3F"

    async def receipt_to(number: str) -> None:
        await enqueue_to(gateway, [number], receipt, kind="receipt", scrub=True)

    # Phones only: it is dropped, as a receipt refused for good is (its number next to its
    # reference is what anonymity must not leave behind), and the phone never sees it.
    only_phones = channel_set("", android)
    await receipt_to(NUMBERS[0])
    await fakes.make_dispatcher(only_phones).dispatch_once()
    assert await outbox_rows(gateway) == []
    assert phone_ml.messages == {}
    # A route with another channel: that one, at once.
    await receipt_to(NUMBERS[1])
    await fakes.make_dispatcher(
        channel_set("*: android_sms>orange", android, fakes.make_orange())
    ).dispatch_once()
    assert fakes.orange.recipients() == [NUMBERS[1]]
    assert phone_ml.messages == {}
    # The operator allows it (GATEWAY_ANDROID_ANONYMOUS_RECEIPTS=true): through the phone.
    android.keeps_copies = False
    await receipt_to(NUMBERS[2])
    await fakes.make_dispatcher(only_phones).dispatch_once()
    assert phone_ml.sent_to(NUMBERS[2]) == [receipt]


def test_the_android_channel_keeps_copies_unless_anonymous_receipts_are_allowed(gateway: Gateway) -> None:
    from gateway.channels.android_sms import build

    phones = "ml=http://127.0.0.1:9,sms,password-1,+223"
    base = gateway.settings.model_copy(update={"android_phones": phones})
    assert build(base).keeps_copies
    allowed = base.model_copy(update={"android_anonymous_receipts": True})
    assert not build(allowed).keeps_copies
