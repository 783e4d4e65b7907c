"""A real `gateway serve` process stopped with SIGTERM while a USSD hop is in flight: the caller
still gets the answer, and the process exits cleanly."""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Any

import httpx
from sqlalchemy import text

from gateway.wiring import Gateway
from tests.helpers import eventually
from tests.ops.processes import gateway_env, has_read_every_request, start_listening, stop


async def test_sigterm_lets_the_hop_in_flight_finish(gateway: Gateway) -> None:
    env = gateway_env(gateway, dispatch_in_process="false", shutdown_grace_s="20")
    server, port = await asyncio.to_thread(
        start_listening, lambda port: ["serve", "--port", str(port)], env, "/readyz"
    )
    written = threading.Event()

    def trace(event: str, _info: dict[str, Any]) -> None:
        if event == "http11.send_request_body.complete":
            written.set()

    def post_hop() -> httpx.Response:
        with httpx.Client(timeout=30) as client:
            return client.post(
                f"http://127.0.0.1:{port}/callbacks/africastalking/ussd",
                params={"token": env["GATEWAY_CALLBACK_TOKEN"]},
                data={"sessionId": "ATUid_grace", "phoneNumber": "+22370000009", "text": ""},
                extensions={"trace": trace},
            )

    try:
        async with gateway.sessionmaker() as db, db.begin():
            # Hold the hop up in the database: SQLite's write lock is taken at BEGIN; on
            # PostgreSQL the sessions table is locked outright.
            if gateway.settings.is_sqlite:
                await db.execute(text("SELECT 1"))
            else:
                await db.execute(text("LOCK TABLE ussd_sessions IN ACCESS EXCLUSIVE MODE"))
            hop = asyncio.create_task(asyncio.to_thread(post_hop))
            # The hop is inside the server, waiting for the database: sent whole, and read whole by
            # the server (a request still in the kernel's queues when the signal comes is dropped).
            await eventually(lambda: written.is_set() or hop.done(), "the hop to be sent")
            assert not hop.done(), hop.result()
            await eventually(
                lambda: has_read_every_request(server.pid, port) is not False, "the server to read the hop"
            )
            server.send_signal(signal.SIGTERM)
            await asyncio.sleep(1.0)  # time to stop, were it not waiting: a wait can only prove a negative
            assert server.poll() is None  # still running: it waits for the hop
            assert not hop.done()
        response = await asyncio.wait_for(hop, 20)
        assert response.status_code == 200
        assert response.text.startswith("CON ")  # the real first screen, not an apology
        # Uvicorn re-raises the signal once it has shut down, so "killed by SIGTERM" is a clean end.
        assert await asyncio.to_thread(server.wait, 20) in (0, -signal.SIGTERM)
    finally:
        stop([server])
