"""Which failures count as "the database is unreachable for now" (503, retry) and which do not."""

from __future__ import annotations

import contextlib
import socket

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from gateway.app import create_app
from gateway.config import Settings
from gateway.db.errors import database_unavailable
from gateway.wiring import Gateway


class DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("exc", "unavailable"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (ConnectionResetError(104, "reset"), True),
        (socket.gaierror(-2, "Name or service not known"), True),
        (OSError(113, "No route to host"), True),
        (PoolTimeoutError("QueuePool limit reached"), True),
        (OperationalError("SELECT 1", {}, DriverError(None)), True),
        (DBAPIError("SELECT 1", {}, DriverError("57P03")), True),  # the database system is starting up
        (DBAPIError("SELECT 1", {}, DriverError("57P01")), True),  # admin shutdown
        (DBAPIError("SELECT 1", {}, DriverError("53300")), True),  # too many connections
        (DBAPIError("SELECT 1", {}, DriverError("08006")), True),  # connection failure
        (IntegrityError("INSERT", {}, DriverError("23505")), False),  # unique violation: a bug
        (DBAPIError("SELECT 1", {}, DriverError("42P01")), False),  # undefined table
        (OSError(2, "No such file or directory"), False),
        (ValueError("bug"), False),
    ],
)
def test_classification(exc: BaseException, unavailable: bool) -> None:
    assert database_unavailable(exc) is unavailable


async def test_a_request_that_cannot_get_a_connection_gets_a_503(settings: Settings) -> None:
    # SQLite: one pooled connection; PostgreSQL: one plus one overflow.
    tight = settings.model_copy(update={"db_pool_size": 1, "db_pool_timeout_s": 0.2})
    gateway = Gateway.build(tight)
    app = create_app(tight, gateway)
    try:
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
            ) as client,
            gateway.db_engine.connect() as held,  # every pooled connection (and overflow) taken
            gateway.db_engine.connect() if not tight.is_sqlite else contextlib.nullcontext() as _overflow,
        ):
            await held.execute(text("SELECT 1"))
            response = await client.post(
                "/callbacks/africastalking/sms", data={"id": "pool-1", "from": "+22376000001", "text": "Vol"}
            )
            assert response.status_code == 503
            assert response.headers["retry-after"]
            ussd = await client.post(
                "/callbacks/africastalking/ussd",
                data={"sessionId": "ATUid_pool", "phoneNumber": "+22376000001", "text": ""},
            )
            assert ussd.status_code == 200
            assert ussd.text.startswith("END ")  # the apology, at once
    finally:
        await gateway.close()
