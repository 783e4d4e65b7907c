"""`gateway channels check` against the fake Orange and Africa's Talking servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from gateway.db.base import utcnow
from gateway.outbox.health import ChannelHealth, read_states, write_state
from gateway.outbox.provider import RecipientResult
from gateway.wiring import Gateway
from tests.cli.runner import invoke_in_thread
from tests.fakes.at_server import FakeAfricasTalking
from tests.fakes.orange_server import FakeOrange


class FakeAtWithUser(FakeAfricasTalking):
    """The AT fake, answering GET /version1/user (the application data, with the balance) too."""

    def _respond(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        if method == "GET" and path.split("?")[0] == "/version1/user":
            return 200, "application/json", json.dumps({"UserData": {"balance": "XOF 1200.0000"}}).encode()
        return super()._respond(method, path, body)


@pytest.fixture
def at_user() -> Iterator[FakeAtWithUser]:
    server = FakeAtWithUser(api_key="check-key")
    server.start()
    yield server
    server.stop()


def channel_env(
    env: dict[str, str], orange: FakeOrange, at: FakeAfricasTalking, secret: str | None = None
) -> dict[str, str]:
    return {
        **env,
        "GATEWAY_CHANNELS": "africastalking,orange",
        "GATEWAY_ROUTES": "+226: orange>africastalking; *: africastalking",
        "GATEWAY_AT_API_KEY": at.api_key,
        "GATEWAY_AT_API_URL": at.base_url,
        "GATEWAY_ORANGE_CLIENT_ID": orange.client_id,
        "GATEWAY_ORANGE_CLIENT_SECRET": secret or orange.client_secret,
        "GATEWAY_ORANGE_SENDER": "+" + orange.sender,
        "GATEWAY_ORANGE_API_URL": orange.base_url,
    }


async def test_every_channel_answers(
    gateway: Gateway, env: dict[str, str], orange: FakeOrange, at_user: FakeAtWithUser
) -> None:
    ran = await invoke_in_thread(channel_env(env, orange, at_user), "channels", "check", "--json")
    assert ran.code == 0, ran.err
    found = {r["channel"]: r for r in map(json.loads, ran.out.splitlines())}
    assert (found["orange"]["ok"], found["africastalking"]["ok"]) == (True, True)
    assert "XOF 1200" in found["africastalking"]["detail"]
    assert orange.token_requests == 1
    async with gateway.sessionmaker() as db:
        states = await read_states(db)
    assert (states["orange"].state, states["africastalking"].state) == ("ok", "ok")  # for /readyz


async def test_a_channel_that_cannot_authenticate_fails_the_check(
    gateway: Gateway, env: dict[str, str], orange: FakeOrange, at_user: FakeAtWithUser
) -> None:
    ran = await invoke_in_thread(channel_env(env, orange, at_user, secret="wrong"), "channels", "check")
    assert ran.code == 1
    assert "FAILED" in ran.err
    assert "(41)" in ran.err
    assert orange.client_secret not in ran.err + ran.out
    async with gateway.sessionmaker() as db:
        states = await read_states(db)
    assert states["orange"].state == "down"
    # Down for GATEWAY_CHANNEL_DOWN_S, as the dispatcher would mark it: not down for good.
    until = states["orange"].down_until
    assert until is not None
    assert utcnow() < until <= utcnow() + timedelta(seconds=gateway.settings.channel_down_s + 5)
    health = ChannelHealth(gateway.sessionmaker, down_after=1, down_s=60)
    assert await health.down_channels() == {"orange"}
    # A dispatcher whose last word on it was `ok` sends through it again: it writes `ok` over the
    # check's `down` (the row's state, not its own memory, decides).
    await health.observe("orange", [RecipientResult("+22670000001", "accepted", "Created")])
    await health.observe("orange", [RecipientResult("+22670000001", "accepted", "Created")])
    async with gateway.sessionmaker() as db, db.begin():
        await write_state(db, "orange", "down", "check: refused", utcnow() + timedelta(seconds=60))
    assert await health.down_channels() == {"orange"}  # as the dispatcher's next pass reads it
    await health.observe("orange", [RecipientResult("+22670000001", "accepted", "Created")])
    assert await health.down_channels() == set()


async def test_a_wrong_at_key_and_an_unreachable_orange_fail(
    gateway: Gateway, env: dict[str, str], orange: FakeOrange, at_user: FakeAtWithUser
) -> None:
    bad = {**channel_env(env, orange, at_user), "GATEWAY_AT_API_KEY": "not-the-key"}
    orange.stop()
    ran = await invoke_in_thread(bad, "channels", "check")
    assert ran.code == 1
    assert "2 of 2 channel(s) failed" in ran.err


async def test_a_route_to_an_unknown_channel_is_refused_before_anything(env: dict[str, str]) -> None:
    ran = await invoke_in_thread({**env, "GATEWAY_ROUTES": "+226: orange"}, "channels", "check")
    assert ran.code == 2
    assert "GATEWAY_ROUTES: route '+226: orange': unknown channel 'orange'" in ran.err
