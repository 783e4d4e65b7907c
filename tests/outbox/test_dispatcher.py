"""The outbox through the real Africa's Talking SDK to the fake AT server, faults included."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from gateway.contacts.service import get_or_create_contact
from gateway.db.base import utcnow
from gateway.outbox.claims import Claimed
from gateway.outbox.models import OutboundMessage
from gateway.outbox.provider import RecipientResult
from gateway.outbox.ratelimit import RateLimiter
from gateway.wiring import Gateway
from tests.fakes.at_server import FakeAfricasTalking
from tests.helpers import (
    MakeAtProvider,
    MakeDispatcher,
    StartDispatcher,
    enqueue,
    eventually,
    make_due,
    outbox_rows,
)

# The client gives up on an answer after this long: for the tests whose answer never comes.
IMPATIENT = (1.0, 1.5)


async def test_same_text_goes_in_one_request(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: MakeDispatcher
) -> None:
    await enqueue(
        gateway,
        ("+22376000001", "Réunion lundi"),
        ("+22670000002", "Réunion lundi"),
        ("+22376000003", "Autre"),
    )
    assert await make_dispatcher().dispatch_once() == 3
    assert sorted(len(r.to) for r in at.received) == [1, 2]
    rows = await outbox_rows(gateway)
    assert {m.status for m in rows} == {"sent"}
    assert all(m.provider_message_id and m.provider_message_id.startswith("ATXid_") for m in rows)
    assert rows[0].cost == "XOF 25.0000"
    assert rows[0].body == "Réunion lundi"  # é is GSM-7: kept
    assert (rows[0].encoding, rows[0].segments) == ("GSM-7", 1)


@pytest.mark.parametrize("fault", ["server_errors", "drops", "slow"])
async def test_transient_faults_are_retried_later(
    fault: str,
    gateway: Gateway,
    at: FakeAfricasTalking,
    make_dispatcher: MakeDispatcher,
    make_at_provider: MakeAtProvider,
) -> None:
    setattr(at.faults, fault, 1)  # slow: 15 s, far past the client's patience whatever the load
    await enqueue(gateway, ("+22376000001", "Bonjour"))
    dispatcher = make_dispatcher(make_at_provider(timeout=IMPATIENT))
    await dispatcher.dispatch_once()
    [row] = await outbox_rows(gateway)
    assert row.status == "queued"
    assert row.attempts == 1
    assert row.next_attempt_at > utcnow()
    assert row.last_error
    await make_due(gateway)
    await dispatcher.dispatch_once()
    [row] = await outbox_rows(gateway)
    assert row.status == "sent"
    assert row.attempts == 2


@pytest.mark.parametrize(
    ("code", "reason", "opted_out"),
    [
        (403, "InvalidPhoneNumber", False),
        (406, "UserInBlacklist", True),
        (404, "UnsupportedNumberType", False),
    ],
)
async def test_permanent_failures_are_not_retried(
    code: int,
    reason: str,
    opted_out: bool,
    gateway: Gateway,
    at: FakeAfricasTalking,
    make_dispatcher: MakeDispatcher,
) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await get_or_create_contact(db, gateway.vault, "+22376000009")
    at.faults.number_codes["+22376000009"] = code
    await enqueue(gateway, ("+22376000009", "Bonjour"), ("+22376000001", "Bonjour"))
    await make_dispatcher().dispatch_once()
    failed, sent = await outbox_rows(gateway)
    assert (failed.status, failed.failure_reason) == ("failed", reason)
    assert sent.status == "sent"
    await make_due(gateway)
    assert await make_dispatcher().dispatch_once() == 0
    async with gateway.sessionmaker() as db:
        contact = await get_or_create_contact(db, gateway.vault, "+22376000009")
    assert (contact.opted_out_at is not None) == opted_out


async def test_request_level_failures_are_transient(
    gateway: Gateway, make_dispatcher: MakeDispatcher, make_at_provider: MakeAtProvider
) -> None:
    await enqueue(gateway, ("+22376000001", "a"), ("+22376000002", "b"))
    unknown_sender = make_at_provider(sender_id="NOT-OURS")
    await make_dispatcher(unknown_sender).dispatch_once()  # 201 with no recipients
    bad_key = make_at_provider(api_key="wrong-key")
    await make_due(gateway)
    await make_dispatcher(bad_key).dispatch_once()  # 401
    rows = await outbox_rows(gateway)
    assert [m.status for m in rows] == ["queued", "queued"]
    assert [m.attempts for m in rows] == [2, 2]
    assert "refused" in (rows[0].last_error or "")


async def test_gives_up_after_max_attempts(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: MakeDispatcher
) -> None:
    at.faults.server_errors = 10
    await enqueue(gateway, ("+22376000001", "Bonjour"))
    dispatcher = make_dispatcher(sms_max_attempts=3)
    for _ in range(3):
        await make_due(gateway)
        await dispatcher.dispatch_once()
    [row] = await outbox_rows(gateway)
    assert row.status == "failed"
    assert (row.last_error or "").startswith("gave up after 3 attempts")
    assert len(at.received) == 0  # the 500s came before the fake recorded anything


async def test_killed_mid_batch_loses_nothing_and_repeats_nothing_answered(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: MakeDispatcher, at_provider: object
) -> None:
    numbers = [f"+2237600{i:04d}" for i in range(6)]
    await enqueue(gateway, *[(n, f"Message {i}") for i, n in enumerate(numbers)])

    class DiesAfterThree:
        name, max_recipients = "africastalking", 100
        sent = 0

        async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
            if self.sent >= 3:
                raise KeyboardInterrupt  # the process is gone: nothing after this point runs
            self.sent += len(recipients)
            return await at_provider.send(body, recipients)  # type: ignore[attr-defined]

    with pytest.raises(KeyboardInterrupt):
        await make_dispatcher(DiesAfterThree(), sms_concurrency=1).dispatch_once()
    rows = await outbox_rows(gateway)
    assert [m.status for m in rows] == ["sent"] * 3 + ["sending"] * 3

    restarted = make_dispatcher(dispatch_lease_s=10)
    assert await restarted.dispatch_once() == 0  # the dead worker's claims are still leased
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(OutboundMessage).values(claimed_at=utcnow() - timedelta(seconds=11)))
    assert await restarted.release_stale_claims() == 3
    assert await restarted.dispatch_once() == 3
    assert {m.status for m in await outbox_rows(gateway)} == {"sent"}
    assert sorted(at.recipients()) == sorted(numbers)  # every number exactly once


async def test_two_workers_never_send_the_same_message(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: MakeDispatcher
) -> None:
    numbers = [f"+2237700{i:04d}" for i in range(120)]
    await enqueue(gateway, *[(n, f"Avis {i % 7}") for i, n in enumerate(numbers)])
    first, second = make_dispatcher(), make_dispatcher()
    first.claim_size = second.claim_size = 25
    while True:
        done = await asyncio.gather(first.dispatch_once(), second.dispatch_once())
        if sum(done) == 0:
            break
    assert sorted(at.recipients()) == sorted(numbers)  # each once, and nothing else


async def test_a_slow_provider_does_not_set_the_pace(
    gateway: Gateway, make_dispatcher: MakeDispatcher
) -> None:
    class Slow:
        name, max_recipients = "slow", 10
        in_flight = peak = 0

        async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            await asyncio.sleep(0.05)
            self.in_flight -= 1
            return [RecipientResult(p, "accepted", "Success", f"id-{p}", "0") for p in recipients]

    provider = Slow()
    await enqueue(gateway, *[(f"+2237800{i:04d}", "Avis") for i in range(80)])
    assert await make_dispatcher(provider, sms_concurrency=4).dispatch_once() == 80
    assert provider.peak == 4
    assert {m.status for m in await outbox_rows(gateway)} == {"sent"}


async def test_a_number_encrypted_with_another_key_fails_once_not_forever(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: MakeDispatcher
) -> None:
    from gateway.security.keys import PhoneVault

    await enqueue(gateway, ("+22376000001", "a"), ("+22376000002", "b"))
    async with gateway.sessionmaker() as db, db.begin():
        other = PhoneVault("another-secret-key-" + "y" * 30).encrypt("+22376000002")
        await db.execute(
            update(OutboundMessage).where(OutboundMessage.body == "b").values(phone_encrypted=other)
        )
    assert await make_dispatcher().dispatch_once() == 1
    sent, failed = await outbox_rows(gateway)
    assert sent.status == "sent"
    assert (failed.status, failed.failure_reason) == ("failed", "UndecryptablePhone")


async def test_graceful_stop_hands_back_claims(gateway: Gateway, make_dispatcher: MakeDispatcher) -> None:
    await enqueue(gateway, ("+22376000001", "a"))
    dispatcher = make_dispatcher()
    await dispatcher.claim(10)
    await dispatcher.release_own_claims()
    [row] = await outbox_rows(gateway)
    assert (row.status, row.attempts, row.claimed_by) == ("queued", 0, None)


async def test_stopping_finishes_the_request_in_flight_and_hands_back_the_rest(
    gateway: Gateway,
    at: FakeAfricasTalking,
    make_dispatcher: MakeDispatcher,
    start_dispatcher: StartDispatcher,
) -> None:
    numbers = [f"+223760001{i:02d}" for i in range(30)]
    await enqueue(gateway, *((n, "Avis") for n in numbers))
    at.faults.hold = 1  # the first request is still with the provider at stop, however long that takes
    dispatcher = make_dispatcher(sms_batch_size=10, sms_concurrency=1, dispatch_poll_s=0.05)
    stop, task = start_dispatcher(dispatcher)
    await at.wait_holding()
    stop.set()
    at.release()
    await asyncio.wait_for(task, 30)

    rows = await outbox_rows(gateway)
    sent = [m for m in rows if m.status == "sent"]
    queued = [m for m in rows if m.status == "queued"]
    assert (len(sent), len(queued)) == (10, 20)  # the request in flight was finished and recorded
    assert {(m.attempts, m.claimed_by) for m in queued} == {(0, None)}  # back at once, no lease wait
    assert [len(r.to) for r in at.received] == [10]  # nothing new went out after the stop

    await make_dispatcher().dispatch_once()
    assert sorted(at.recipients()) == numbers  # each exactly once


async def test_anonymous_receipt_leaves_no_row_once_sent(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: MakeDispatcher
) -> None:
    await enqueue(gateway, ("+22376000001", "Référence: R-7K3F"), scrub=True)
    await enqueue(gateway, ("+22376000002", "Référence: R-7K3G"), scrub=True)
    at.faults.number_codes = {"+22376000002": 403}  # InvalidPhoneNumber: never to be sent
    await make_dispatcher().dispatch_once()
    # Sent, or refused for good: either way no number, text, provider id or time is left of it.
    assert await outbox_rows(gateway) == []
    assert at.messages_to("+22376000001") == ["Référence: R-7K3F"]


async def test_anonymous_receipt_waits_in_the_queue_through_a_transient_failure(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: MakeDispatcher
) -> None:
    await enqueue(gateway, ("+22376000001", "Référence: R-7K3F"), scrub=True)
    at.faults.server_errors = 1
    await make_dispatcher().dispatch_once()
    [row] = await outbox_rows(gateway)
    assert row.status == "queued"  # still needed to send it: kept until the provider has it


async def test_run_stops_cleanly(
    gateway: Gateway,
    at: FakeAfricasTalking,
    make_dispatcher: MakeDispatcher,
    start_dispatcher: StartDispatcher,
) -> None:
    await enqueue(gateway, ("+22376000001", "a"))
    stop, task = start_dispatcher(make_dispatcher(dispatch_poll_s=0.05))
    await eventually(lambda: bool(at.received), "the message to reach the provider")
    stop.set()
    await asyncio.wait_for(task, 30)
    assert [m.status for m in await outbox_rows(gateway)] == ["sent"]


def test_backoff_doubles_with_jitter(gateway: Gateway, make_dispatcher: MakeDispatcher) -> None:
    dispatcher = make_dispatcher(sms_retry_base_s=10)
    for attempts, base in ((1, 10), (2, 20), (3, 40), (6, 320), (9, 1800), (50, 1800)):
        seconds = dispatcher.backoff(attempts).total_seconds()
        assert 0.75 * base <= seconds <= 1.25 * base


def test_the_default_retries_outlast_a_two_hour_outage(make_dispatcher: MakeDispatcher) -> None:
    dispatcher = make_dispatcher(sms_rate_per_s=0)
    settings = dispatcher.settings
    shortest = sum(
        0.75 * min(settings.sms_retry_base_s * 2 ** (n - 1), 1800)
        for n in range(1, settings.sms_max_attempts)
    )
    assert shortest >= 1.5 * 3600  # even with every delay at its jittered minimum


async def test_provider_down_for_an_hour_then_back_sends_everything_once(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: MakeDispatcher
) -> None:
    numbers = [f"+223760002{i:02d}" for i in range(30)]
    await enqueue(gateway, *((n, "Avis") for n in numbers))
    dispatcher = make_dispatcher(sms_batch_size=10)
    outage_s = 0.0
    at.faults.server_errors = 10**6  # every request answered 500
    while outage_s < 3600:  # each pass: the time skipped to the next retry
        await dispatcher.dispatch_once()
        rows = await outbox_rows(gateway)
        assert {m.status for m in rows} == {"queued"}
        outage_s += min((m.next_attempt_at - utcnow()).total_seconds() for m in rows)
        await make_due(gateway)
    at.faults.server_errors = 0
    await dispatcher.dispatch_once()
    rows = await outbox_rows(gateway)
    assert {m.status for m in rows} == {"sent"}
    assert max(m.attempts for m in rows) < dispatcher.settings.sms_max_attempts
    assert sorted(at.recipients()) == numbers


async def test_rate_limiter_spaces_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("gateway.outbox.ratelimit.time.monotonic", lambda: clock[0])
    monkeypatch.setattr("gateway.outbox.ratelimit.asyncio.sleep", fake_sleep)
    limiter = RateLimiter(rate=100)
    await limiter.acquire(50)  # first batch goes at once
    await limiter.acquire(50)  # then waits its half second
    await limiter.acquire(100)
    assert slept == pytest.approx([0.5, 1.0])
    await RateLimiter(rate=0).acquire(10_000)  # no limit


async def test_an_answer_given_while_the_database_is_down_is_recorded_when_it_is_back(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: MakeDispatcher
) -> None:
    from sqlalchemy.exc import OperationalError

    await enqueue(gateway, ("+22376000001", "a"), ("+22376000002", "a"))
    dispatcher = make_dispatcher()
    record = dispatcher.record
    calls = 0

    async def record_after_two_outages(chunk: list[Claimed], results: list[RecipientResult]) -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise OperationalError("UPDATE", {}, ConnectionRefusedError("database restarting"))
        await record(chunk, results)

    dispatcher.record = record_after_two_outages  # type: ignore[method-assign]
    assert await dispatcher.dispatch_once() == 2
    assert calls == 3
    assert [m.status for m in await outbox_rows(gateway)] == ["sent", "sent"]
    assert sorted(at.recipients()) == ["+22376000001", "+22376000002"]  # once each: held, not re-sent


async def test_a_recording_bug_is_not_retried_as_an_outage(
    gateway: Gateway, at: FakeAfricasTalking, make_dispatcher: MakeDispatcher
) -> None:
    await enqueue(gateway, ("+22376000001", "a"))
    dispatcher = make_dispatcher()

    async def broken(chunk: list[Claimed], results: list[RecipientResult]) -> None:
        raise ValueError("bug")

    dispatcher.record = broken  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="bug"):
        await dispatcher.dispatch_once()
