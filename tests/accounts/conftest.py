from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.wiring import Gateway
from tests.accounts.helpers import Console, console_for


@pytest.fixture
async def console(gateway: Gateway) -> AsyncIterator[Console]:
    async with console_for(gateway) as made:
        yield made
