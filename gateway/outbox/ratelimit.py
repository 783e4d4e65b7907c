from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """Spaces provider requests so that no more than `rate` messages per second go out."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._available_at = 0.0

    async def acquire(self, messages: int) -> None:
        if self.rate <= 0:
            return
        now = time.monotonic()
        start = max(now, self._available_at)
        self._available_at = start + messages / self.rate
        if start > now:
            await asyncio.sleep(start - now)
