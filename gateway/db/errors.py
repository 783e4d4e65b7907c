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
