"""Each channel's pace shared by every worker: two limiters on two connections (two engines, as
two worker processes have) together keep to the rate. PostgreSQL only: SQLite has one process."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, select

from gateway.db.engine import create_engine, create_sessionmaker
from gateway.outbox.models import ChannelState
from gateway.outbox.ratelimit import RateLimiter, SharedRateLimiter
from gateway.wiring import Gateway

RATE = 20.0
EACH = 15  # messages per limiter: 30 in all, 1.45 s at the least at 20 a second


@pytest.fixture
def postgres(gateway: Gateway) -> None:
    if gateway.settings.is_sqlite:
        pytest.skip("the shared limiter keeps its pace in PostgreSQL")


@pytest.mark.usefixtures("postgres")
async def test_two_workers_together_keep_the_channel_rate(gateway: Gateway) -> None:
    engines = [create_engine(gateway.settings) for _ in range(2)]
    try:
        limiters = [SharedRateLimiter(create_sessionmaker(e), "orange", RATE) for e in engines]
        async with gateway.sessionmaker() as db:
            reserved_from = (await db.execute(select(func.now()))).scalar_one()
        started = time.monotonic()
        times: list[float] = []

        async def worker(limiter: SharedRateLimiter) -> None:
            for _ in range(EACH):
                assert await limiter.acquire(1)
                times.append(time.monotonic() - started)

        await asyncio.gather(*(worker(limiter) for limiter in limiters))
    finally:
        for engine in engines:
            await engine.dispose()
    times.sort()
    # Each slot is 1/RATE after the one before, whoever took it: a loaded machine can only make
    # the sends later, never closer together than the rate allows over the whole run. (Not "at
    # most RATE in any second" of the measured wake-ups: after a stall of the loop, sleepers whose
    # slots have passed all wake at once, though their slots were reserved apart.)
    assert times[-1] >= (2 * EACH - 1) / RATE * 0.95
    # The reserved slots themselves, in the shared row: the 30 of them end 30/RATE after the
    # first, as one limiter taking them all would; two limiters each on its own pace would end
    # after half that.
    async with gateway.sessionmaker() as db:
        available = (
            await db.execute(select(ChannelState.available_at).where(ChannelState.channel == "orange"))
        ).scalar_one()
    assert available is not None
    assert (available - reserved_from).total_seconds() >= 2 * EACH / RATE * 0.95


@pytest.mark.usefixtures("postgres")
async def test_a_turn_too_far_away_is_not_taken(gateway: Gateway) -> None:
    limiter = SharedRateLimiter(gateway.sessionmaker, "android_sms", 1.0)
    assert await limiter.acquire(1, max_wait=5)  # at once
    assert await limiter.acquire(10, max_wait=5) is True  # its turn is in 1 s: taken, waited
    assert await limiter.acquire(1, max_wait=5) is False  # 10 s away: not taken
    other = SharedRateLimiter(gateway.sessionmaker, "orange", 1.0)
    assert await other.acquire(1, max_wait=0)  # another channel's pace is its own


@pytest.mark.usefixtures("postgres")
async def test_a_pause_holds_every_worker(gateway: Gateway) -> None:
    first = SharedRateLimiter(gateway.sessionmaker, "orange", 100.0)
    second = SharedRateLimiter(gateway.sessionmaker, "orange", 100.0)
    await first.pause(60)  # Orange said 429, Retry-After: 60
    assert await second.acquire(1, max_wait=30) is False


async def test_the_local_limiter_refuses_a_turn_too_far_away() -> None:
    limiter = RateLimiter(1000.0)
    assert await limiter.acquire(100, max_wait=1)
    await limiter.pause(60)
    assert await limiter.acquire(1, max_wait=1) is False
    assert await RateLimiter(0).acquire(10**6, max_wait=0)
