"""AT retrying a USSD hop or an SMS callback, the copies arriving at once at different API
processes: one report, one receipt, the same answer to every copy. On PostgreSQL the copies go
to `gateway serve --workers 2` over separate connections; on SQLite (one process) they go to the
app in this process at once."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.sms.models import InboundMessage
from gateway.wiring import Gateway
from tests.helpers import count
from tests.ops.processes import gateway_env, start_listening, stop

Post = Callable[[str, dict[str, str]], Awaitable[httpx.Response]]
# French, report, security incident, urgent, the commune, description, sent with my number.
ANSWERS = ["1", "1", "1", "1", "Benkadi", "Vol de bétail au marché", "2"]
COPIES = 8


@pytest.fixture
async def post(gateway: Gateway, tmp_path: Path) -> AsyncIterator[Post]:
    if gateway.settings.is_sqlite:
        app = create_app(gateway.settings, gateway)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as c:

            async def in_process(path: str, data: dict[str, str]) -> httpx.Response:
                return await c.post(path, data=data)

            yield in_process
        return
    env = gateway_env(gateway, dispatch_in_process="false", metrics_dir=str(tmp_path / "metrics"))
    server, port = await asyncio.to_thread(
        start_listening, lambda port: ["serve", "--port", str(port), "--workers", "2"], env, "/readyz"
    )
    try:
        token = {"token": env["GATEWAY_CALLBACK_TOKEN"]}

        async def new_connection(path: str, data: dict[str, str]) -> httpx.Response:
            # A connection of its own each time, so the kernel spreads the copies over the processes.
            return await asyncio.to_thread(
                httpx.post, f"http://127.0.0.1:{port}{path}", params=token, data=data, timeout=30
            )

        yield new_connection
    finally:
        stop([server])


async def test_the_last_hop_sent_to_every_process_at_once_makes_one_report(
    gateway: Gateway, post: Post
) -> None:
    hop = {"sessionId": "ATUid_race", "phoneNumber": "+22376007001", "serviceCode": "*384*1234#"}
    for i in range(len(ANSWERS)):
        response = await post("/callbacks/africastalking/ussd", {**hop, "text": "*".join(ANSWERS[:i])})
        assert response.text.startswith("CON "), response.text
    last = {**hop, "text": "*".join(ANSWERS)}
    copies = await asyncio.gather(*(post("/callbacks/africastalking/ussd", last) for _ in range(COPIES)))
    assert {r.status_code for r in copies} == {200}
    assert len({r.text for r in copies}) == 1  # every copy hears the same end screen
    [reference] = re.findall(r"R-[0-9A-Z]{4,8}", copies[0].text)
    assert await count(gateway, select(func.count()).select_from(Report)) == 1
    assert await count(gateway, select(func.count()).where(Report.reference == reference)) == 1


async def test_an_sms_callback_retried_to_every_process_at_once_is_stored_once(
    gateway: Gateway, post: Post
) -> None:
    sms = {"id": "ATXid_race", "from": "+22376007002", "text": "Conflit entre éleveurs à Kadiolo"}
    copies = await asyncio.gather(*(post("/callbacks/africastalking/sms", sms) for _ in range(COPIES)))
    assert {r.status_code for r in copies} == {200}
    assert Counter(r.json()["status"] for r in copies) == {"stored": 1, "duplicate": COPIES - 1}
    assert await count(gateway, select(func.count()).select_from(InboundMessage)) == 1
    assert await count(gateway, select(func.count()).select_from(Report)) == 1
    assert await count(gateway, select(func.count()).where(OutboundMessage.kind == "receipt")) == 1
