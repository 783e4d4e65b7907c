"""Fixtures for the API tests that need a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.wiring import Gateway
from tests.api.live_server import LiveServer

# One pooled connection (SQLite always has one; on PostgreSQL one more may overflow), and a pool
# wait short enough that a request starved of a connection fails the test in seconds, not minutes.
LIVE_POOL_SIZE = 1
LIVE_POOL_TIMEOUT_S = 3.0
LIVE_EXPORT_CONCURRENCY = 2


@pytest.fixture
def live_server(gateway: Gateway) -> Iterator[LiveServer]:
    settings = gateway.settings.model_copy(
        update={
            "db_pool_size": LIVE_POOL_SIZE,
            "db_pool_timeout_s": LIVE_POOL_TIMEOUT_S,
            "export_concurrency": LIVE_EXPORT_CONCURRENCY,
            "dispatch_in_process": False,  # nothing but the test's own requests uses the pool
        }
    )
    server = LiveServer(settings).start()
    yield server
    server.stop()
