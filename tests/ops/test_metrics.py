"""GET /metrics: Prometheus text, moved by real traffic."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from gateway.outbox.dispatcher import Dispatcher
from gateway.wiring import Gateway
from tests.fakes.at_server import FakeAfricasTalking
from tests.helpers import UssdCaller


def value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{") and line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_move_with_traffic(
    client: httpx.AsyncClient,
    gateway: Gateway,
    at: FakeAfricasTalking,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    before = (await client.get("/metrics")).text
    caller = UssdCaller(client, "+22376000801")
    await caller.dial()
    await caller.send("1")
    await client.post(
        "/callbacks/africastalking/ussd/events", data={"sessionId": caller.session_id, "status": "Incomplete"}
    )
    await client.post(
        "/callbacks/africastalking/sms", data={"from": "+22376000801", "text": "Vol de moto", "id": "m1"}
    )
    await client.post(
        "/callbacks/africastalking/sms", data={"from": "+22376000801", "text": "Vol de moto", "id": "m1"}
    )
    await client.post("/callbacks/africastalking/sms", data={"text": "x"})
    await make_dispatcher().dispatch_once()
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text

    def grew(name: str, by: float = 1) -> bool:
        return value(after, name) - value(before, name) >= by

    assert grew('gateway_callbacks_total{kind="ussd",outcome="continue"}', 2)
    assert grew('gateway_callbacks_total{kind="sms",outcome="stored"}')
    assert grew('gateway_callbacks_total{kind="sms",outcome="duplicate"}')
    assert grew('gateway_callbacks_total{kind="sms",outcome="rejected"}')
    assert grew('gateway_ussd_sessions_ended_total{last_screen="main:home",status="Incomplete"}')
    assert grew("gateway_ussd_hop_seconds_count", 2)
    assert grew('gateway_provider_request_seconds_count{provider="africastalking"}')
    assert value(after, 'gateway_outbox_messages{status="sent"}') == 1
    assert "+2237" not in after
