"""The serving process's background work on a loop of its own (ops/side_loop.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from gateway.ops.side_loop import SideLoop


async def test_the_work_runs_on_another_loop_until_stopped() -> None:
    seen: dict[str, object] = {}
    running = threading.Event()

    async def work(stop: asyncio.Event) -> None:
        seen["thread"] = threading.current_thread().name
        seen["loop"] = asyncio.get_running_loop()
        running.set()
        await stop.wait()
        seen["stopped"] = True

    side = SideLoop("side", work)
    side.start()
    assert await asyncio.to_thread(running.wait, 30)
    assert seen["thread"] == "side"
    assert seen["loop"] is not asyncio.get_running_loop()
    assert "stopped" not in seen
    await side.stop()
    assert seen["stopped"] is True


async def test_a_failure_is_raised_to_whoever_stops_it() -> None:
    async def work(stop: asyncio.Event) -> None:
        raise ValueError("broken")

    side = SideLoop("side", work)
    side.start()
    with pytest.raises(RuntimeError, match="side failed") as raised:
        await side.stop()
    assert isinstance(raised.value.__cause__, ValueError)
