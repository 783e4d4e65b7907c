"""Real `gateway worker` processes: three racing for one outbox, due summaries and a notice; one
killed with SIGKILL mid-dispatch; one stopped with SIGTERM mid-request."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections import Counter
from datetime import timedelta

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
from tests.helpers import MakeCommittee
from tests.ops.processes import free_port, gateway_env, start, stop, wait_ready
from tests.ops.test_metrics import value


def start_worker(
    gateway: Gateway, at: FakeAfricasTalking, *args: str, **settings: str
) -> subprocess.Popen[bytes]:
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
    env = gateway_env(gateway, **{**defaults, **settings})
    return start(["worker", *args], env)


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


async def wait_until_sent(gateway: Gateway, count: int, seconds: float) -> int:
    sent = 0
    for _ in range(int(seconds * 10)):
        async with gateway.sessionmaker() as db:
            sent = (
                await db.execute(select(func.count()).where(OutboundMessage.status == "sent"))
            ).scalar_one()
        if sent >= count:
            break
        await asyncio.sleep(0.1)
    return int(sent)


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
    ports = [free_port() for _ in range(3)]
    workers = [start_worker(gateway, at, "--metrics-port", str(port)) for port in ports]
    try:
        for port, worker in zip(ports, workers, strict=True):
            await asyncio.to_thread(wait_ready, f"http://127.0.0.1:{port}/metrics", worker)
        numbers = await enqueue(gateway, 300)
        assert await wait_until_sent(gateway, 300 + len(others), 60) == 300 + len(others)
        scrapes = [(await asyncio.to_thread(httpx.get, f"http://127.0.0.1:{p}/metrics")).text for p in ports]
    finally:
        stop(workers)
    received = Counter(n for request in at.received for n in request.to)
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
    at.faults.slow, at.faults.slow_s = 1, 3.0  # the first request hangs: the victim dies inside it
    victim = start_worker(gateway, at)
    for _ in range(100):
        async with gateway.sessionmaker() as db:
            claimed = (
                await db.execute(select(func.count()).where(OutboundMessage.status == "sending"))
            ).scalar_one()
        if claimed:
            break
        await asyncio.sleep(0.1)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    survivor = start_worker(gateway, at)
    try:
        assert await wait_until_sent(gateway, 100, 60) == 100  # after the 10 s lease, the claims come back
    finally:
        stop([survivor])
    received = Counter(n for request in at.received for n in request.to)
    assert set(numbers) <= set(received)  # nothing lost
    # The only repeats allowed: requests the victim had in flight when it died, whose answers it
    # never recorded (at most 4 requests of 20 numbers).
    assert sum(1 for n in numbers if received[n] > 1) <= 4 * 20


async def test_sigterm_finishes_the_request_in_flight_and_hands_back_the_rest(
    gateway: Gateway, at: FakeAfricasTalking
) -> None:
    numbers = await enqueue(gateway, 100)
    at.faults.slow, at.faults.slow_s = 1, 2.0
    worker = start_worker(gateway, at, sms_concurrency="1", sms_batch_size="20")
    try:
        while at.faults.slow:  # taken when the first request (20 numbers) reaches the provider
            await asyncio.sleep(0.02)
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 15) == 0
    finally:
        stop([worker])
    assert await count(gateway, "sent") == 20
    assert await count(gateway, "sending") == 0  # no claim left to wait out the lease
    async with gateway.sessionmaker() as db:
        queued = (
            await db.execute(select(OutboundMessage).where(OutboundMessage.status == "queued"))
        ).scalars()
        assert {(m.attempts, m.claimed_by) for m in queued} == {(0, None)}
    received = [n for request in at.received for n in request.to if n in set(numbers)]
    assert len(received) == len(set(received)) == 20
