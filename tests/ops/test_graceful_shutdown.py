"""A real `gateway serve` process stopped with SIGTERM while a USSD hop is in flight: the caller
still gets the answer, and the process exits cleanly."""

from __future__ import annotations

import asyncio
import signal

import httpx
from sqlalchemy import text

from gateway.wiring import Gateway
from tests.ops.processes import free_port, gateway_env, start, stop, wait_ready


async def test_sigterm_lets_the_hop_in_flight_finish(gateway: Gateway) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = gateway_env(gateway, dispatch_in_process="false", shutdown_grace_s="20")
    server = start(["serve", "--port", str(port)], env)
    try:
        await asyncio.to_thread(wait_ready, f"{base}/readyz", server)
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
                    params={"token": env["GATEWAY_CALLBACK_TOKEN"]},
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
        stop([server])
