"""A real `gateway serve` process stopped with SIGTERM while a USSD hop is in flight: the caller
still gets the answer, and the process exits cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from gateway.config import ROOT
from gateway.wiring import Gateway

GATEWAY = Path(sys.executable).parent / "gateway"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "gateway serve exited at start"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("gateway serve did not become ready")


async def test_sigterm_lets_the_hop_in_flight_finish(gateway: Gateway) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": gateway.settings.database_url,
        "GATEWAY_SECRET_KEY": gateway.settings.secret_key or "",
        "GATEWAY_CALLBACK_TOKEN": "",
        "GATEWAY_DISPATCH_IN_PROCESS": "false",
        "GATEWAY_SHUTDOWN_GRACE_S": "20",
        "GATEWAY_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [str(GATEWAY), "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await asyncio.to_thread(wait_healthy, base, server)
        async with gateway.sessionmaker() as db, db.begin():
            # Hold the hop up in the database: SQLite's write lock is taken at BEGIN; on
            # PostgreSQL the sessions table is locked outright.
            if gateway.settings.is_sqlite:
                await db.execute(text("SELECT 1"))
            else:
                await db.execute(text("LOCK TABLE ussd_sessions IN ACCESS EXCLUSIVE MODE"))
            hop = asyncio.create_task(
                asyncio.to_thread(
                    httpx.post,
                    f"{base}/callbacks/africastalking/ussd",
                    data={"sessionId": "ATUid_grace", "phoneNumber": "+22370000009", "text": ""},
                    timeout=30,
                )
            )
            await asyncio.sleep(1.0)  # the hop is inside the server, waiting for the database
            server.send_signal(signal.SIGTERM)
            await asyncio.sleep(1.0)
            assert server.poll() is None  # still running: it waits for the hop
            assert not hop.done()
        response = await asyncio.wait_for(hop, 20)
        assert response.status_code == 200
        assert response.text.startswith("CON ")  # the real first screen, not an apology
        # Uvicorn re-raises the signal once it has shut down, so "killed by SIGTERM" is a clean end.
        assert await asyncio.to_thread(server.wait, 20) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
