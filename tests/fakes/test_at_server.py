"""The fake Africa's Talking server keeps each test's requests to that test (issue 11)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.at_server import FakeAfricasTalking


def post(server_url: str, api_key: str, to: str, timeout: float = 10) -> httpx.Response:
    return httpx.post(
        f"{server_url}/messaging",
        headers={"apiKey": api_key, "Accept": "application/json"},
        data={"username": "sandbox", "to": to, "message": "Avis"},
        timeout=timeout,
    )


@pytest.fixture
def earlier() -> Iterator[FakeAfricasTalking]:
    """Another test's server, as `fake_at` makes them."""
    server = FakeAfricasTalking(api_key="test-api-key-of-an-earlier-test").start()
    yield server
    server.stop()


def test_each_test_has_a_server_and_a_key_of_its_own(
    at: FakeAfricasTalking, earlier: FakeAfricasTalking
) -> None:
    assert at.port != earlier.port
    assert at.api_key != earlier.api_key


def test_a_request_with_another_tests_key_is_refused_unrecorded(
    at: FakeAfricasTalking, earlier: FakeAfricasTalking
) -> None:
    # As if the earlier test's server had stopped and this one had been given its port.
    at.faults.server_errors = 1
    assert post(at.base_url, earlier.api_key, "+22376000001").status_code == 401
    assert at.received == []
    assert at.faults.server_errors == 1  # this test's fault is still there for this test's request
    assert post(at.base_url, at.api_key, "+22376000001").status_code == 500


async def test_a_request_still_in_hand_when_its_test_ends_is_dropped(earlier: FakeAfricasTalking) -> None:
    earlier.faults.hold = 1
    late = asyncio.create_task(asyncio.to_thread(post, earlier.base_url, earlier.api_key, "+22376000002"))
    await earlier.wait_holding()
    earlier.stop()  # the test is over
    with pytest.raises(httpx.HTTPError):
        await asyncio.wait_for(late, 10)  # no answer, ever: it is not left to land anywhere
    try:
        after = post(earlier.base_url, earlier.api_key, "+22376000003", timeout=2)
    except httpx.ConnectError:
        pass  # nothing listens there any more
    else:  # another server has the port already: not with that test's key
        assert after.status_code == 401


async def test_held_requests_are_recorded_on_arrival_and_answered_on_release(at: FakeAfricasTalking) -> None:
    at.faults.hold = 1
    held = asyncio.create_task(asyncio.to_thread(post, at.base_url, at.api_key, "+22376000004"))
    await at.wait_holding()
    assert at.recipients() == ["+22376000004"]  # AT has it, whether or not its answer gets back
    assert not held.done()
    at.release()
    assert (await asyncio.wait_for(held, 10)).status_code == 201
    assert at.holding == 0
    assert post(at.base_url, at.api_key, "+22376000005").status_code == 201  # only the first was held
