"""Background work on an event loop of its own, in a thread of the serving process.

With SQLite, `gateway serve` also sends the outbox and runs the scheduler (there is no separate
worker). On the serving loop, each statement of their transactions waits for a turn of a loop
busy with callbacks, so under load a transaction holds SQLite's one write lock for tens of
milliseconds while USSD hops queue behind it. On a loop of its own, the same transaction waits
only for the database.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Work = Callable[[asyncio.Event], Awaitable[None]]


class SideLoop:
    def __init__(self, name: str, work: Work) -> None:
        self.name = name
        self._work = work
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.failed: BaseException | None = None

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()

    async def stop(self) -> None:
        """Asks the work to stop and waits for it (without blocking the caller's loop)."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        await asyncio.to_thread(self._thread.join)
        if self.failed is not None:
            raise RuntimeError(f"{self.name} failed") from self.failed

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await self._work(self._stop)

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to whoever stops it, and logged now
            self.failed = exc
            log.exception("%s stopped on an error", self.name)
        finally:
            self._ready.set()
