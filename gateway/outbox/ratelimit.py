"""Each channel's pace: at most `rate` messages a second leave through it.

`RateLimiter` keeps the pace of one process (SQLite has one). `SharedRateLimiter` keeps it for
every worker together: the next free moment of the channel is a row of `channel_states`, pushed
forward atomically by each reservation, so N workers send at the channel's rate, not N times it.
A reservation that would wait longer than `max_wait` is not taken: the caller hands its messages
back to the queue rather than holding them past their lease.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from gateway.db.engine import SessionMaker
from gateway.outbox.models import ChannelState


class Limiter(Protocol):
    rate: float

    async def acquire(self, messages: int, max_wait: float | None = None) -> bool:
        """Waits for the turn of `messages` messages; False (nothing reserved) when that turn is
        further than `max_wait` seconds away."""
        ...

    async def pause(self, seconds: float) -> None:
        """Nothing leaves for `seconds` (the provider asked: HTTP 429 Retry-After)."""
        ...


class RateLimiter:
    """Spaces provider requests so that no more than `rate` messages per second go out."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._available_at = 0.0

    async def acquire(self, messages: int, max_wait: float | None = None) -> bool:
        now = time.monotonic()
        start = max(now, self._available_at)
        if max_wait is not None and start - now > max_wait:
            return False
        if self.rate > 0:
            self._available_at = start + messages / self.rate
        if start > now:
            await asyncio.sleep(start - now)
        return True

    async def pause(self, seconds: float) -> None:
        self._available_at = max(self._available_at, time.monotonic() + seconds)


# The reservation, in one statement: start at the later of the channel's next free moment and now,
# push the free moment on by the messages' share of a second. The row is locked for the statement
# only, so concurrent workers queue behind each other and none starts in another's slot.
_RESERVE = text(
    """
    UPDATE channel_states
    SET available_at = greatest(coalesce(available_at, clock_timestamp()), clock_timestamp())
                       + make_interval(secs => CAST(:cost AS double precision))
    WHERE channel = :channel
      AND coalesce(available_at, clock_timestamp())
          <= clock_timestamp() + make_interval(secs => CAST(:max_wait AS double precision))
    RETURNING extract(
        epoch FROM available_at - make_interval(secs => CAST(:cost AS double precision)) - clock_timestamp()
    )
    """
)
_PAUSE = text(
    """
    UPDATE channel_states
    SET available_at = greatest(coalesce(available_at, clock_timestamp()),
                                clock_timestamp() + make_interval(secs => CAST(:seconds AS double precision)))
    WHERE channel = :channel
    """
)


class SharedRateLimiter:
    """The channel's pace kept in PostgreSQL, for every worker process at once."""

    def __init__(self, sessionmaker: SessionMaker, channel: str, rate: float) -> None:
        self.sessionmaker = sessionmaker
        self.channel = channel
        self.rate = rate
        self._row_made = False

    async def acquire(self, messages: int, max_wait: float | None = None) -> bool:
        if self.rate <= 0:
            return True
        await self._make_row()
        async with self.sessionmaker() as db, db.begin():
            wait = (
                await db.execute(
                    _RESERVE,
                    {
                        "channel": self.channel,
                        "cost": messages / self.rate,
                        # No limit on the wait: a century.
                        "max_wait": 3.2e9 if max_wait is None else float(max_wait),
                    },
                )
            ).scalar_one_or_none()
        if wait is None:
            return False
        if float(wait) > 0:
            await asyncio.sleep(float(wait))
        return True

    async def pause(self, seconds: float) -> None:
        await self._make_row()
        async with self.sessionmaker() as db, db.begin():
            await db.execute(_PAUSE, {"channel": self.channel, "seconds": float(seconds)})

    async def _make_row(self) -> None:
        if self._row_made:
            return
        async with self.sessionmaker() as db, db.begin():
            await db.execute(
                insert(ChannelState)
                .values(channel=self.channel, state="unknown", detail="")
                .on_conflict_do_nothing(index_elements=["channel"])
            )
        self._row_made = True


def make_limiter(sessionmaker: SessionMaker, channel: str, rate: float, shared: bool) -> Limiter:
    return SharedRateLimiter(sessionmaker, channel, rate) if shared else RateLimiter(rate)
