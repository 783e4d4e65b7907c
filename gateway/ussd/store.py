"""The session row of a lean hop, read and written with the driver itself: two statements on one
connection, no ORM, no explicit transaction.

The write is guarded by the hop count it was read with, so it is the hop's one transaction and two
processes answering the same session cannot both win: the loser is told, and the hop goes the
full way (ussd/service.py), under a row lock. PostgreSQL: asyncpg, with a pool of its own, no
pre-ping and no reset between uses (a dead connection is found out by the hop, which is retried
once on another). SQLite: the standard sqlite3 module on the event loop's thread, which costs
microseconds; it never waits for the write lock, since another connection's transaction may need
this very loop to finish: when the lock is taken it yields to the loop a few times, then gives
the hop to the full path, which waits properly.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

_COLUMNS = "id, hops, ended_at IS NOT NULL, last_text, last_response, last_screen, language, state"


@dataclass(frozen=True)
class StoredSession:
    id: int
    hops: int
    ended: bool
    last_text: str
    last_response: str
    last_screen: str
    language: str | None
    state: dict[str, Any]


@dataclass(frozen=True)
class MenuHopWrite:
    """What a hop that does not end the session changes in its row."""

    hops: int
    last_text: str
    last_screen: str
    language: str | None
    last_response: str
    in_report: bool
    state_json: str  # the session state, serialised once for the row (and the process's cache)


class StoreBusy(Exception):
    """The database would make the hop wait (SQLite's write lock): the full path takes it."""


class HopConnection(Protocol):
    async def load(self, keys: tuple[str, ...]) -> StoredSession | None: ...

    async def save(self, session_id: int, read_hops: int, write: MenuHopWrite) -> bool:
        """False when the row is no longer at `read_hops` (another process moved it on)."""
        ...


class SessionStore(Protocol):
    def connect(self) -> Any:
        """`async with store.connect() as connection`: one connection for one hop."""
        ...

    async def close(self) -> None: ...


def _row(values: Any) -> StoredSession:
    state = values[7]
    return StoredSession(
        id=values[0],
        hops=values[1],
        ended=bool(values[2]),
        last_text=values[3],
        last_response=values[4],
        last_screen=values[5],
        language=values[6],
        state=json.loads(state) if isinstance(state, str | bytes) else (state or {}),
    )


def dump_state(state: dict[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False)


class _SqliteHop:
    # Yielding to the loop this long in all (about 1.5 ms) before leaving the hop to the full
    # path: enough for a short transaction of the dispatcher or an SMS to finish.
    PAUSES = (0.0, 0.0001, 0.0002, 0.0004, 0.0008)
    LOAD = f"SELECT {_COLUMNS} FROM ussd_sessions WHERE session_id IN (?, ?)"
    SAVE = (
        "UPDATE ussd_sessions SET hops=?, last_text=?, last_screen=?, language=COALESCE(?, language), "
        "updated_at=?, last_response=?, in_report=?, state=? WHERE id=? AND hops=?"
    )

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    async def _execute(self, query: str, values: tuple[Any, ...]) -> sqlite3.Cursor:
        for pause in self.PAUSES:
            try:
                return self._connection.execute(query, values)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                await asyncio.sleep(pause)
        raise StoreBusy

    async def load(self, keys: tuple[str, ...]) -> StoredSession | None:
        found = (await self._execute(self.LOAD, keys)).fetchone()
        return None if found is None else _row(found)

    async def save(self, session_id: int, read_hops: int, write: MenuHopWrite) -> bool:
        # The ORM's format for UTC times on SQLite, so that both read each other's rows.
        moment = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        values = (
            write.hops,
            write.last_text,
            write.last_screen,
            write.language,
            moment,
            write.last_response,
            int(write.in_report),
            write.state_json,
            session_id,
            read_hops,
        )
        return (await self._execute(self.SAVE, values)).rowcount == 1


class SqliteSessionStore:
    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # As the ORM's connections (db/engine.py): WAL, and no fsync at every commit (a power cut
        # may lose the last hops, never corrupt the file); never wait for the write lock.
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute("PRAGMA busy_timeout=0")
        self._hop = _SqliteHop(self._connection)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[HopConnection]:
        yield self._hop

    async def close(self) -> None:
        self._connection.close()


class _PostgresHop:
    LOAD = f"SELECT {_COLUMNS} FROM ussd_sessions WHERE session_id = ANY($1::text[])"
    SAVE = (
        "UPDATE ussd_sessions SET hops=$1, last_text=$2, last_screen=$3, language=COALESCE($4, language), "
        "updated_at=$5, last_response=$6, in_report=$7, state=$8::json WHERE id=$9 AND hops=$10"
    )

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def load(self, keys: tuple[str, ...]) -> StoredSession | None:
        found = await self._connection.fetchrow(self.LOAD, list(keys))
        return None if found is None else _row(tuple(found))

    async def save(self, session_id: int, read_hops: int, write: MenuHopWrite) -> bool:
        status = await self._connection.execute(
            self.SAVE,
            write.hops,
            write.last_text,
            write.last_screen,
            write.language,
            datetime.now(UTC),
            write.last_response,
            write.in_report,
            write.state_json,
            session_id,
            read_hops,
        )
        return bool(status == "UPDATE 1")


class PostgresSessionStore:
    def __init__(self, dsn: str, pool_size: int) -> None:
        self._dsn = dsn
        self._size = pool_size
        self._pool: Any = None
        self._opening = asyncio.Lock()

    async def _open(self) -> Any:
        import asyncpg

        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=1, max_size=self._size, reset=_nothing_to_reset
                )
        return self._pool

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[HopConnection]:
        pool = self._pool or await self._open()
        async with pool.acquire() as connection:
            try:
                yield _PostgresHop(connection)
            except BaseException:
                # Whatever went wrong may have left the connection broken (the server dropped
                # it mid-statement): closed here, the pool opens a new one instead of lending
                # this one out again.
                connection.terminate()
                raise

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()


async def _nothing_to_reset(_connection: Any) -> None:
    # The default reset on release is one more round trip a hop; these statements leave no
    # session state behind (no transaction, SET or LISTEN) to reset.
    return None


def session_store(database_url: str, pool_size: int) -> SessionStore:
    if database_url.startswith("sqlite"):
        return SqliteSessionStore(database_url.split(":///", 1)[1])
    return PostgresSessionStore("postgresql://" + database_url.split("://", 1)[1], pool_size)
