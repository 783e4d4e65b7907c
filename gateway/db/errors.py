"""Telling "the database is unreachable for now" apart from errors that retrying will not mend."""

from __future__ import annotations

import errno
import socket

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# SQLSTATE classes: 08 connection exception, 53 insufficient resources (too many connections),
# 57 operator intervention (shutdown, crash, "the database system is starting up").
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")
UNREACHABLE_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}


def database_unavailable(exc: BaseException) -> bool:
    # Raised by the driver before it could wrap anything: refused, reset, no route, no such host.
    if isinstance(exc, PoolTimeoutError | ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(exc, OSError) and exc.errno in UNREACHABLE_ERRNOS:
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    return sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES


def connection_lost(exc: BaseException) -> bool:
    """A pooled connection found dead (the server restarted or dropped it): worth one retry on
    another connection, as the pool's pre-ping would have done before every use."""
    if database_unavailable(exc):
        return True
    # asyncpg's own, when the lean hop path uses the driver without SQLAlchemy around it: a
    # connection error or a server shutting it (SQLSTATE 08, 57), or the client's protocol left
    # mid-operation by a connection cut under it.
    if (getattr(exc, "sqlstate", None) or "")[:2] in UNAVAILABLE_SQLSTATE_CLASSES:
        return True
    return type(exc).__name__ in {"ConnectionDoesNotExistError", "InterfaceError", "InternalClientError"}
