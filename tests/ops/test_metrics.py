"""GET /metrics: Prometheus text, moved by real traffic."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from gateway.outbox.dispatcher import Dispatcher
from gateway.wiring import Gateway
from tests.fakes.at_server import FakeAfricasTalking
from tests.helpers import UssdCaller
from tests.ops.processes import gateway_env, start_listening, stop


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


def post_and_scrape(base: str, token: str, messages: int, scrapes: int) -> list[str]:
    # A new connection per request, so that the kernel spreads them over the workers.
    for i in range(messages):
        response = httpx.post(
            f"{base}/callbacks/africastalking/sms",
            params={"token": token},
            data={"from": f"+2237601{i:04d}", "text": f"Vol de moto {i}", "id": f"mp{i}"},
        )
        assert response.status_code == 200
    return [httpx.get(f"{base}/metrics").text for _ in range(scrapes)]


async def test_every_worker_of_serve_reports_the_whole_pool(gateway: Gateway, tmp_path: Path) -> None:
    if gateway.settings.is_sqlite:
        pytest.skip("serve --workers needs PostgreSQL")
    directory = tmp_path / "metrics"
    env = gateway_env(gateway, metrics_dir=str(directory), dispatch_in_process="false")
    server = await asyncio.to_thread(
        start_listening, lambda port: ["serve", "--port", str(port), "--workers", "2"], env, "/readyz"
    )
    try:
        token = env["GATEWAY_CALLBACK_TOKEN"]
        scrapes = await asyncio.to_thread(post_and_scrape, server.base, token, 20, 8)
    finally:
        stop([server.process])
    assert len({f.stem.rsplit("_", 1)[1] for f in directory.glob("*.db")}) >= 2  # both workers wrote
    for text in scrapes:  # whichever worker answers the scrape
        assert value(text, 'gateway_callbacks_total{kind="sms",outcome="stored"}') == 20
        assert value(text, 'gateway_outbox_messages{status="queued"}') == 20  # one receipt each


def test_the_metrics_directory_is_emptied_of_metric_files_only(tmp_path: Path) -> None:
    from gateway.ops.metric_files import prepare_multiprocess_dir

    (tmp_path / "counter_123.db").write_bytes(b"old counts")
    (tmp_path / "notes.txt").write_text("not ours")
    assert prepare_multiprocess_dir(tmp_path) == tmp_path
    assert [f.name for f in tmp_path.iterdir()] == ["notes.txt"]
    assert prepare_multiprocess_dir(tmp_path / "new").is_dir()


async def test_labels_are_bounded_and_say_nothing_of_reports(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    caller = UssdCaller(client, "+22376000802")
    await caller.dial()
    for answer in ("1", "1", "1", "1", "Benkadi", "Vol de bétail au marché"):
        await caller.send(answer)
    assert (await caller.send("1")).startswith("END ")  # an anonymous report, sent
    await client.post(
        "/callbacks/africastalking/ussd/events", data={"sessionId": caller.session_id, "status": "Success"}
    )
    for n in range(3):  # statuses an attacker makes up must not each become a time series
        await client.post(
            "/callbacks/africastalking/ussd/events", data={"sessionId": f"forged-{n}", "status": f"Bogus{n}"}
        )
    text = (await client.get("/metrics")).text
    ended = [line for line in text.splitlines() if line.startswith("gateway_ussd_sessions_ended_total{")]
    assert not any("report:done" in line or "Bogus" in line for line in ended)
    assert any('last_screen="ended",status="Success"' in line for line in ended)
    assert any('status="other"' in line for line in ended)


async def test_metrics_can_require_a_token(gateway: Gateway) -> None:
    from dataclasses import replace

    from gateway.app import create_app

    guarded = replace(
        gateway, settings=gateway.settings.model_copy(update={"metrics_token": "m" * 8 + "x9Q"})
    )
    app = create_app(guarded.settings, guarded)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as c:
        assert (await c.get("/metrics")).status_code == 401
        assert (await c.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        allowed = await c.get("/metrics", headers={"Authorization": "Bearer " + "m" * 8 + "x9Q"})
        assert allowed.status_code == 200
        assert (await c.get("/healthz")).status_code == 200  # the probes stay open
