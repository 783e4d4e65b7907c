"""Real `gateway worker` processes: three racing for one outbox, due summaries and a notice; one
killed with SIGKILL mid-dispatch; one stopped with SIGTERM mid-request."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy import func, select, update

from gateway.broadcasts.models import Broadcast
from gateway.committees.models import Committee, Digest
from gateway.committees.service import NewMember
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.broadcasts.test_broadcasts import notice, subscribers
from tests.fakes.at_server import FakeAfricasTalking
from tests.helpers import MakeCommittee, eventually
from tests.ops.processes import Listening, gateway_env, start, start_listening, stop
from tests.ops.test_metrics import value


def worker_env(gateway: Gateway, at: FakeAfricasTalking, **settings: str) -> dict[str, str]:
    defaults = {
        "provider": "africastalking",
        "at_api_key": at.api_key,
        "at_api_url": at.base_url,
        "sms_rate_per_s": "0",
        "sms_batch_size": "20",
        "sms_concurrency": "4",
        "dispatch_poll_s": "0.2",
        "dispatch_lease_s": "10",
    }
    return gateway_env(gateway, **{**defaults, **settings})


def start_worker(
    gateway: Gateway, at: FakeAfricasTalking, stderr: IO[bytes] | None = None, **settings: str
) -> subprocess.Popen[bytes]:
    return start(["worker"], worker_env(gateway, at, **settings), stderr)


async def start_worker_with_metrics(gateway: Gateway, at: FakeAfricasTalking) -> Listening:
    env = worker_env(gateway, at)
    return await asyncio.to_thread(
        start_listening, lambda port: ["worker", "--metrics-port", str(port)], env, "/metrics"
    )


async def enqueue(gateway: Gateway, count: int) -> list[str]:
    numbers = [f"+2237610{i:04d}" for i in range(count)]
    async with gateway.sessionmaker() as db, db.begin():
        for i, number in enumerate(numbers):
            await gateway.outbox.enqueue(db, phone=number, text=f"Avis {i % 5}", language="fr", kind="notice")
    return numbers


async def count(gateway: Gateway, status: str) -> int:
    async with gateway.sessionmaker() as db:
        found = await db.execute(select(func.count()).where(OutboundMessage.status == status))
        return int(found.scalar_one())


async def wait_until_sent(gateway: Gateway, wanted: int, seconds: float) -> int:
    """How many are sent once `wanted` are, or when `seconds` have passed."""
    sent = 0

    async def enough() -> bool:
        nonlocal sent
        sent = await count(gateway, "sent")
        return sent >= wanted

    try:
        await eventually(enough, f"{wanted} messages sent", seconds)
    except AssertionError:
        pass  # the caller's assertion shows how many were
    return sent


async def due_summaries_and_a_notice(gateway: Gateway, make_committee: MakeCommittee) -> list[str]:
    """Four committees whose summary is due and a notice to 40 subscribers; returns their numbers."""
    members = []
    for i, province in enumerate(("Comoé", "Léraba", "Houet", "Kénédougou")):
        pair = [NewMember(f"Membre {i}{j}", f"+226701{i}{j:04d}", "fr") for j in range(2)]
        await make_committee(f"Comité {province}", [province], pair, "daily 08:00")
        members += [m.phone for m in pair]
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Committee).values(next_digest_at=utcnow() - timedelta(minutes=1)))
    people = [(f"+2237620{i:04d}", "fr", ("Zégoua", "Niangoloko")[i % 2]) for i in range(40)]
    await subscribers(gateway, people)
    await notice(gateway, fallback=True)
    return members + [phone for phone, _, _ in people]


async def test_three_workers_send_every_message_exactly_once(
    gateway: Gateway, at: FakeAfricasTalking, make_committee: MakeCommittee
) -> None:
    # Due before the workers start, so all three race for them on their first pass.
    others = await due_summaries_and_a_notice(gateway, make_committee)
    started = await asyncio.gather(
        *(start_worker_with_metrics(gateway, at) for _ in range(3)), return_exceptions=True
    )
    workers = [w for w in started if isinstance(w, Listening)]
    try:
        assert len(workers) == 3, [w for w in started if not isinstance(w, Listening)]
        numbers = await enqueue(gateway, 300)
        assert await wait_until_sent(gateway, 300 + len(others), 120) == 300 + len(others)
        scrapes = [(await asyncio.to_thread(httpx.get, f"{w.base}/metrics")).text for w in workers]
    finally:
        stop([w.process for w in workers])
    received = Counter(at.recipients())
    assert sorted(received) == sorted(numbers + others)
    assert set(received.values()) == {1}
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(func.count()).select_from(Digest))).scalar_one() == 4  # one each
        notice_status = select(Broadcast.status).where(Broadcast.kind == "notice")
        assert (await db.execute(notice_status)).scalars().all() == ["done"]
    # Each worker counts its own provider requests; together they are every request AT had.
    requests = sum(
        value(s, 'gateway_provider_request_seconds_count{provider="africastalking"}') for s in scrapes
    )
    assert requests == len(at.received)


async def test_a_worker_killed_mid_dispatch_loses_nothing(gateway: Gateway, at: FakeAfricasTalking) -> None:
    numbers = await enqueue(gateway, 100)
    at.faults.hold = 1  # the first request hangs: the victim dies inside it
    victim = start_worker(gateway, at)
    try:
        await at.wait_holding(seconds=60)
    finally:
        victim.send_signal(signal.SIGKILL)
        await asyncio.to_thread(victim.wait, 10)
    survivor = start_worker(gateway, at)
    try:
        assert await wait_until_sent(gateway, 100, 120) == 100  # after the 10 s lease, the claims come back
    finally:
        stop([survivor])
    received = Counter(at.recipients())
    assert set(numbers) <= set(received)  # nothing lost
    # The only repeats allowed: requests the victim had in flight when it died, whose answers it
    # never recorded (at most 4 requests of 20 numbers).
    assert sum(1 for n in numbers if received[n] > 1) <= 4 * 20


async def test_sigterm_finishes_the_request_in_flight_and_hands_back_the_rest(
    gateway: Gateway, at: FakeAfricasTalking, tmp_path: Path
) -> None:
    numbers = await enqueue(gateway, 100)
    at.faults.hold = 1  # the first request (20 numbers) stays with the provider until released
    output = tmp_path / "stderr.log"
    with output.open("wb") as stderr:
        worker = start_worker(gateway, at, stderr, sms_concurrency="1", sms_batch_size="20")
    try:
        await at.wait_holding(seconds=60)
        worker.send_signal(signal.SIGTERM)
        # Answered only once the worker has taken the signal in, however slowly it gets to it.
        stopping = "gateway worker: stopping"
        await eventually(lambda: stopping in output.read_text(errors="replace"), "the worker to stop", 60)
        at.release()
        assert await asyncio.to_thread(worker.wait, 30) == 0
    finally:
        stop([worker])
    assert await count(gateway, "sent") == 20
    assert await count(gateway, "sending") == 0  # no claim left to wait out the lease
    async with gateway.sessionmaker() as db:
        queued = (
            await db.execute(select(OutboundMessage).where(OutboundMessage.status == "queued"))
        ).scalars()
        assert {(m.attempts, m.claimed_by) for m in queued} == {(0, None)}
    received = at.recipients()
    assert len(received) == len(set(received)) == 20
    assert set(received) <= set(numbers)
