from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.wiring import Gateway
from tests.security.keyring import Keyring, keyring


@pytest.fixture(scope="session")
async def keys(gateway: Gateway) -> AsyncIterator[Keyring]:
    """Gateways under key A, under key B with A as previous key, and under key B alone."""
    async with keyring(gateway.settings) as ring:
        yield ring
