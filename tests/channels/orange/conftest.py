from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from gateway.channels.orange.client import OrangeSms
from tests.fakes.orange_server import FakeOrange

MakeOrange = Callable[..., OrangeSms]


@pytest.fixture
def orange() -> Iterator[FakeOrange]:
    """A fake Orange SMS API of this test's own: its own port, its own application keys."""
    server = FakeOrange().start()
    yield server
    server.stop()


@pytest.fixture
async def make_orange(orange: FakeOrange) -> AsyncIterator[MakeOrange]:
    made: list[OrangeSms] = []

    def make(
        *,
        secret: str | None = None,
        timeout_s: float = 10.0,
        rate_per_s: float = 0.0,
        uncertain_hold_s: float = 0.0,
    ) -> OrangeSms:
        provider = OrangeSms(
            orange.client_id,
            secret or orange.client_secret,
            "+" + orange.sender,
            sender_name="FORUM",
            api_url=orange.base_url,
            rate_per_s=rate_per_s,
            timeout_s=timeout_s,
            uncertain_hold_s=uncertain_hold_s,
        )
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()
