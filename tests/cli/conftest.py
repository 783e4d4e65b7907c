"""What every CLI test shares: the environment a command runs with, and a process left as it was."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from gateway.wiring import Gateway
from tests.channels.orange.conftest import orange
from tests.security.logs import restored_logging

__all__ = ["orange"]  # the fake Orange API, for `gateway channels check`


@pytest.fixture
def env(gateway: Gateway) -> dict[str, str]:
    return {
        "GATEWAY_DATABASE_URL": gateway.settings.database_url,
        "GATEWAY_SECRET_KEY": gateway.settings.require_secret_key(),
        "GATEWAY_LOG_LEVEL": "WARNING",
        # Tables are cut to the terminal's width; the tests' terminal is this wide.
        "COLUMNS": "120",
    }


@pytest.fixture(autouse=True)
def _logging_left_as_it_was() -> Iterator[None]:
    # Every command sets up logging for its process, and `simulate` sets levels of its own.
    loggers = [logging.getLogger(name) for name in ("gateway", "alembic")]
    levels = [logger.level for logger in loggers]
    with restored_logging():
        yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
