"""The shape every background job shares: work while there is work, else wait, until stopped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def repeat(name: str, step: Callable[[], Awaitable[int]], stop: asyncio.Event, idle_s: float) -> None:
    """Call `step` again at once while it reports work done, else after `idle_s` (or when stopped).
    A failing step is logged and retried: one bad pass must not end a worker."""
    while not stop.is_set():
        try:
            done = await step()
        except Exception:
            log.exception("%s failed; retrying", name)
            done = 0
        if not done:
            try:
                await asyncio.wait_for(stop.wait(), timeout=idle_s)
            except TimeoutError:
                pass
