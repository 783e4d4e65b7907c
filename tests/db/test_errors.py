"""Which failures count as "the database is unreachable for now" (503, retry) and which do not."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from gateway.db.errors import database_unavailable


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
