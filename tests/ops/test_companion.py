"""With SQLite, `gateway serve` sends the outbox from a companion `gateway worker` process
(ops/companion.py): it sends, it is started again if it dies, and it never outlives its server."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.helpers import eventually
from tests.ops.processes import gateway_env, start_listening, stop


def children(pid: int) -> list[int]:
    """Of every thread: the supervisor thread starts the companion again itself."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except FileNotFoundError:
            pass
    return sorted(found)


def gone(pid: int) -> bool:
    """Exited: no such process, or a zombie nobody has reaped yet (a container's first process may
    not reap the orphans it adopts)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture
def sqlite_only(gateway: Gateway) -> None:
    if not gateway.settings.is_sqlite:
        pytest.skip("with PostgreSQL, serve sends nothing: `gateway worker` processes do")


async def companion_of(server_pid: int) -> int:
    found: list[int] = []

    def one() -> bool:
        found[:] = children(server_pid)
        return len(found) == 1

    await eventually(one, "the companion process to start")
    return found[0]


async def test_serve_sends_the_outbox_from_a_companion_that_stops_with_it(
    gateway: Gateway, sqlite_only: None, tmp_path: Path
) -> None:
    server, port = await asyncio.to_thread(
        start_listening,
        lambda port: ["serve", "--port", str(port)],
        gateway_env(gateway, metrics_dir=str(tmp_path / "metrics")),
        "/readyz",
    )
    try:
        companion = await companion_of(server.pid)
        async with gateway.sessionmaker() as db, db.begin():
            await gateway.outbox.enqueue(db, phone="+22370000031", text="Test", language="fr", kind="notice")

        async def sent() -> bool:
            async with gateway.sessionmaker() as db:
                return (await db.scalar(select(OutboundMessage.status))) == "sent"

        await eventually(sent, "the companion to send the message")
        # Counted in the companion, shown by the server's /metrics.
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        assert 'gateway_provider_request_seconds_count{provider="log"} 1.0' in metrics
        server.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.wait, 30) in (0, -signal.SIGTERM)
        await eventually(lambda: gone(companion), "the companion to stop with its server")
    finally:
        stop([server])


async def test_a_companion_that_dies_is_started_again(gateway: Gateway, sqlite_only: None) -> None:
    server, _port = await asyncio.to_thread(
        start_listening, lambda port: ["serve", "--port", str(port)], gateway_env(gateway), "/readyz"
    )
    try:
        first = await companion_of(server.pid)
        os.kill(first, signal.SIGKILL)
        await eventually(lambda: children(server.pid) not in ([], [first]), "a new companion")
    finally:
        stop([server])


async def test_a_companion_stops_by_itself_when_its_server_is_killed(
    gateway: Gateway, sqlite_only: None
) -> None:
    server, _port = await asyncio.to_thread(
        start_listening, lambda port: ["serve", "--port", str(port)], gateway_env(gateway), "/readyz"
    )
    try:
        companion = await companion_of(server.pid)
        server.kill()  # no chance to stop it in order
        await asyncio.to_thread(server.wait, 30)
        await eventually(lambda: gone(companion), "the orphaned companion to stop")
    finally:
        stop([server])
