"""A fixed set of asyncpg connections lent to one hop at a time: the lean hop path's pool.

asyncpg's own Pool spends about 28 µs of CPU a hop lending and taking back a connection (its
release hooks, listener and inactivity-timer bookkeeping, the holder objects), a tenth of what the
whole hop costs the process; this path uses none of those features. Here a connection is taken
from a list and put back, opened when none is free and fewer than `size` are open, and waited for
(first come, first served) when all are lent.

A connection is never checked before it is lent (no ping: a round trip a hop). One the server
closed is seen as closed and dropped when it comes back or is taken; one that fails mid-hop is
given back as broken, terminated, and its place freed for a new one. The hop path retries once on
another (`LeanHops.hop`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import asyncpg


class LenderClosed(RuntimeError):
    """The lender was closed (the app is stopping): no more connections are lent."""


class LenderTimeout(RuntimeError):
    """Every connection stayed lent for the whole wait: the hop fails (the caller hears the
    apology) rather than outlast the provider's deadline. Not a TimeoutError: the hop path retries
    those once (a dead connection), which would double the wait."""


class ConnectionLender:
    def __init__(self, dsn: str, size: int, wait_s: float = 10.0) -> None:
        self._dsn = dsn
        self._size = size
        self._wait_s = wait_s
        self._idle: list[Any] = []
        self._open = 0  # connections open, lent or idle, and being opened
        # A waiter is given a connection, or None: "one may be opened now, try again".
        self._waiters: deque[asyncio.Future[Any]] = deque()
        self._closed = False

    @property
    def open_connections(self) -> int:
        return self._open

    @property
    def waiting(self) -> int:
        """Hops waiting for a connection."""
        return sum(not waiter.done() for waiter in self._waiters)

    async def take(self) -> Any:
        while True:
            if self._closed:
                raise LenderClosed("the lean store is closed")
            while self._idle:
                connection = self._idle.pop()
                if not connection.is_closed():
                    return connection
                self._open -= 1  # closed by the server while idle: its place is free
            if self._open < self._size:
                return await self._connect()
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[Any] = loop.create_future()
            self._waiters.append(waiter)
            # The wait's end as a timer that fails the waiter: a third of asyncio.timeout's cost,
            # paid by most hops under load. Not wait_for, which may return a result and drop a
            # cancellation that came at the same moment.
            timer = loop.call_later(self._wait_s, self._expire, waiter)
            try:
                given = await waiter
            except asyncio.CancelledError:
                # Handed something just as the hop was cancelled: pass it on, nothing is lost.
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    self._pass_on(waiter.result())
                raise
            finally:
                timer.cancel()
            if given is not None:
                return given

    def give_back(self, connection: Any, broken: bool = False) -> None:
        """Back from a hop; `broken` when the hop failed with the connection in an unknown state."""
        if broken or self._closed or connection.is_closed():
            connection.terminate()
            self._open -= 1
            self._pass_on(None)
            return
        self._pass_on(connection)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(LenderClosed("the lean store is closed"))
        self._waiters.clear()
        await asyncio.gather(*(connection.close() for connection in idle), return_exceptions=True)

    async def _connect(self) -> Any:
        self._open += 1
        try:
            return await asyncpg.connect(self._dsn, timeout=self._wait_s)
        except BaseException:
            self._open -= 1
            self._pass_on(None)  # a waiter may try in its turn
            raise

    def _expire(self, waiter: asyncio.Future[Any]) -> None:
        if not waiter.done():
            waiter.set_exception(LenderTimeout(f"no connection free within {self._wait_s:g} s"))

    def _pass_on(self, connection: Any) -> None:
        """To the first hop still waiting, else (a connection) to the idle list."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is not None:
            self._idle.append(connection)
