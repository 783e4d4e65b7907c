"""The session row of a lean hop (lean.py), read and written with the driver itself, no ORM.

Every write is guarded by the hop count it was read with (and by the session being still open: the
sweep ends idle ones without a hop), so two processes answering the same session cannot both win:
the loser is told, writes nothing, and the hop goes the full way (ussd/service.py), under a row
lock. A menu hop is one guarded UPDATE; the dial one read (the row, the number's flood marks, its
contact, a draft to resume) and one write (the row with its flood mark); the language choice the
contact with the row; a named report the report, its receipt, the usual commune and the session's
end — each of those writes one statement on PostgreSQL or one transaction on SQLite.

PostgreSQL: asyncpg, with connections of its own (pg_lender.py), no pre-ping and no reset between
uses (a dead connection is found out by the hop, which is retried once on another). SQLite: the
standard sqlite3 module on the event loop's thread, which costs microseconds; it never waits for the write
lock on the loop (another connection's transaction may need this very loop to finish): it waits
beside it, woken when this process's transactions end (WriteLockReleased), and after ~130 ms gives
the hop to the full path.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, Protocol

import asyncpg
import orjson
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.db.base import utcday, utcnow
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.ussd.pg_lender import ConnectionLender

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
    contact_id: int | None = None  # None: the row's contact stays as it is

    def saved(self, session_id: int, read_hops: int) -> tuple[Any, ...]:
        """The parameters of the stores' SAVE statements, in their order."""
        return (
            self.hops,
            self.last_text,
            self.last_screen,
            self.language,
            utcnow(),
            self.last_response,
            self.in_report,
            self.state_json,
            self.contact_id,
            session_id,
            read_hops,
        )


@dataclass(frozen=True)
class KnownContact:
    id: int
    language: str | None
    home_area: int | None


@dataclass(frozen=True)
class FirstHopQuery:
    keys: tuple[str, ...]  # the session id as given and as a digest
    phone_hashes: tuple[str, ...]  # under the current key first, then any previous key
    flood_key: str
    flood_since: datetime
    resume_since: datetime | None  # None: resuming is switched off


@dataclass(frozen=True)
class FirstHopFacts:
    """What a session's first hop needs to know, read before anything is written."""

    exists: bool  # the row is there already: a repeated first hop, or another process's
    flood_count: int  # the number's new sessions within the flood window
    contact: KnownContact | None
    resumable: bool  # an unfinished report of this number, recent enough to resume


@dataclass(frozen=True)
class NewSessionRow:
    session_id: str
    provider: str
    service_code: str
    network_code: str
    phone_hash: str
    flood_key: str
    write: MenuHopWrite

    def inserted(self, moment: datetime) -> tuple[Any, ...]:
        """The parameters of _INSERT_SESSION, in its order."""
        write = self.write
        return (
            self.session_id,
            self.provider,
            self.service_code,
            self.network_code,
            self.phone_hash,
            write.contact_id,
            write.language,
            write.state_json,
            write.last_text,
            write.last_response,
            write.hops,
            write.last_screen,
            write.in_report,
            moment,
            moment,
        )


@dataclass(frozen=True)
class ContactLanguage:
    """The language a caller chose, for their contact row: the one they have, or a new one."""

    language: str
    contact_id: int | None  # None: a first-time caller, the contact is made now
    phone_hash: str = ""
    phone_hashes: tuple[str, ...] = ()
    phone_encrypted: str = ""


@dataclass(frozen=True)
class EndHopWrite:
    """What the hop that ends a session leaves in its row (privacy.end_session): no state, the
    digest of the input path, hours only."""

    hops: int
    last_text: str
    last_screen: str
    language: str | None
    last_response: str
    outcome: str
    hour: datetime  # the end, to the hour: ended_at and updated_at; started_at is floored too


class _Lost(Exception):
    """Rolls a transaction back: its guard found the row (or the contact) moved on, or (a
    report) what `outcome` says."""

    def __init__(self, outcome: Sent = "lost") -> None:
        super().__init__(outcome)
        self.outcome: Sent = outcome


class StoreBusy(Exception):
    """The database would make the hop wait (SQLite's write lock): the full path takes it."""


@dataclass(frozen=True)
class ReportWrite:
    """Everything the hop that sends a report writes, in one transaction: the report, its receipt
    (if asked for), the caller's usual commune, the session's end."""

    session_id: int
    read_hops: int
    report: dict[str, Any]  # reports.service.report_values
    receipt: dict[str, Any] | None  # Outbox.message_values
    contact_id: int
    area_id: int
    day: datetime  # contacts keep days, not moments
    alert_areas: tuple[int, ...]  # an urgent report's place and those above it; () otherwise
    end: EndHopWrite


# sent; the reference was taken; the row (or the contact) moved on meanwhile; a committee member
# takes urgent alerts for the place (CommitteeNotifier's to send). Only "sent" wrote anything.
Sent = Literal["sent", "taken", "lost", "alerts"]


class HopConnection(Protocol):
    async def load(self, keys: tuple[str, ...]) -> StoredSession | None: ...

    async def save(self, session_id: int, read_hops: int, write: MenuHopWrite) -> bool:
        """False when the row is no longer at `read_hops` (another process moved it on)."""
        ...

    async def first_facts(self, query: FirstHopQuery) -> FirstHopFacts: ...

    async def send_report(self, write: ReportWrite) -> Sent: ...

    async def create(self, row: NewSessionRow, moment: datetime) -> int | None:
        """The new row's id, its flood mark written with it; None (and nothing written) when the
        session has a row already."""
        ...

    async def save_with_contact(
        self,
        session_id: int,
        read_hops: int,
        change: ContactLanguage,
        write_for: Callable[[int], MenuHopWrite],
    ) -> MenuHopWrite | None:
        """The contact's language set (the contact made if it is new) and the row saved with
        `write_for(contact id)`, in one transaction; None, and nothing written, when the row
        moved on or a contact of this number appeared meanwhile."""
        ...


class SessionStore(Protocol):
    def connect(self) -> Any:
        """`async with store.connect() as connection`: one connection for one hop."""
        ...

    def follow(self, engine: AsyncEngine) -> None:
        """Learns from the ORM's engine on the same database what the store needs to (SQLite:
        when this process's transactions end)."""
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
        state=load_state(state) if isinstance(state, str | bytes) else (state or {}),
    )


def load_state(text: str | bytes) -> dict[str, Any]:
    """A state as `dump_state` (or the full path's ORM, with json) wrote it."""
    state: dict[str, Any] = orjson.loads(text)
    return state


def dump_state(state: dict[str, Any]) -> str:
    # What json.dumps(state, separators=(",", ":"), ensure_ascii=False) gives for a state (str
    # keys, text, whole numbers, lists), in a tenth of the time: it is read and written at every
    # hop. Keys that are not text are turned into text, as json does.
    return orjson.dumps(state, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_time(moment: datetime) -> str:
    # The ORM's format for UTC times on SQLite, so that both read each other's rows.
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_values(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(_sqlite_value(value) for value in values)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _sqlite_time(value)
    return int(value) if isinstance(value, bool) else value


def _insert(table: str, columns: Any, marks: str, conflict: str = "") -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}){conflict}"


def _marks(count: int) -> str:
    return ", ".join("?" * count)


_INSERT_SESSION = (
    "INSERT INTO ussd_sessions (session_id, provider, service_code, network_code, phone_hash, "
    "contact_id, language, state, last_text, last_response, hops, last_screen, in_report, "
    "started_at, updated_at) VALUES ({}) ON CONFLICT (session_id) DO NOTHING"
)


class WriteLockReleased:
    """Wakes the lean hops waiting for SQLite's write lock when this process's ORM gives it back
    (a connection returned to the pool: its transaction is over), instead of letting each poll
    on a timer: under load another transaction (the dispatcher's, an SMS's) spans many turns of
    the loop, and a hop polling at a growing interval would sleep well past its end."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def __call__(self, *_args: Any) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            # Thread-safe, whichever thread returned the connection.
            waiter.get_loop().call_soon_threadsafe(_wake, waiter)

    async def wait(self, timeout: float) -> None:
        """Until the next release, or `timeout` (the holder may be another process)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(timeout, _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class _SqliteHop:
    # Waiting this long in all (about 130 ms, the loop serving other hops meanwhile) before
    # leaving the hop to the full path, which costs twenty times more and would hold the lock
    # longer still: woken early when this process's ORM gives the lock back.
    PAUSES = (0.0, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064)
    LOAD = f"SELECT {_COLUMNS} FROM ussd_sessions WHERE session_id IN (?, ?)"
    SAVE = (
        "UPDATE ussd_sessions SET hops=?, last_text=?, last_screen=?, language=COALESCE(?, language), "
        "updated_at=?, last_response=?, in_report=?, state=?, contact_id=COALESCE(?, contact_id) "
        "WHERE id=? AND hops=? AND ended_at IS NULL"
    )
    INSERT = _INSERT_SESSION.format(_marks(15))
    FLOOD_MARK = "INSERT INTO flood_marks (key, at) VALUES (?, ?)"

    def __init__(self, connection: sqlite3.Connection, released: WriteLockReleased) -> None:
        self._connection = connection
        self._released = released

    async def _execute(self, query: str, values: tuple[Any, ...]) -> sqlite3.Cursor:
        for pause in self.PAUSES:
            try:
                return self._connection.execute(query, values)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                await (self._released.wait(pause) if pause else asyncio.sleep(0))
        raise StoreBusy

    async def load(self, keys: tuple[str, ...]) -> StoredSession | None:
        found = (await self._execute(self.LOAD, keys)).fetchone()
        return None if found is None else _row(found)

    async def save(self, session_id: int, read_hops: int, write: MenuHopWrite) -> bool:
        return (
            await self._execute(self.SAVE, _sqlite_values(write.saved(session_id, read_hops)))
        ).rowcount == 1

    async def first_facts(self, query: FirstHopQuery) -> FirstHopFacts:
        # Four reads on the loop's thread cost less than one round trip to a server would.
        run = self._connection.execute
        hashes = _marks(len(query.phone_hashes))
        exists = run(
            f"SELECT 1 FROM ussd_sessions WHERE session_id IN ({_marks(len(query.keys))})", query.keys
        ).fetchone()
        flood = run(
            "SELECT count(*) FROM flood_marks WHERE key = ? AND at >= ?",
            (query.flood_key, _sqlite_time(query.flood_since)),
        ).fetchone()
        contact = run(
            f"SELECT id, language, home_area_id FROM contacts WHERE phone_hash IN ({hashes}) ORDER BY id LIMIT 1",
            query.phone_hashes,
        ).fetchone()
        resumable = None
        if query.resume_since is not None:
            resumable = run(
                f"SELECT 1 FROM ussd_sessions WHERE phone_hash IN ({hashes}) AND in_report = 1 "
                "AND outcome IS NULL AND updated_at >= ? LIMIT 1",
                (*query.phone_hashes, _sqlite_time(query.resume_since)),
            ).fetchone()
        return FirstHopFacts(
            exists=exists is not None,
            flood_count=int(flood[0]),
            contact=None if contact is None else KnownContact(*contact),
            resumable=resumable is not None,
        )

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Callable[..., sqlite3.Cursor]]:
        """Under the write lock (StoreBusy when another connection keeps it); rolled back on any
        exception, which propagates — _Lost included, for the caller to turn into its answer."""
        await self._execute("BEGIN IMMEDIATE", ())
        try:
            yield self._connection.execute
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    async def create(self, row: NewSessionRow, moment: datetime) -> int | None:
        try:
            async with self._transaction() as run:
                cursor = run(self.INSERT, _sqlite_values(row.inserted(moment)))
                if cursor.rowcount != 1:
                    raise _Lost
                run(self.FLOOD_MARK, (row.flood_key, _sqlite_time(moment)))
        except (_Lost, sqlite3.IntegrityError):
            # Made meanwhile; or a contact the row names deleted meanwhile (an idle one purged).
            return None
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def save_with_contact(
        self,
        session_id: int,
        read_hops: int,
        change: ContactLanguage,
        write_for: Callable[[int], MenuHopWrite],
    ) -> MenuHopWrite | None:
        day = _sqlite_time(utcday())  # contacts keep days, not moments
        try:
            async with self._transaction() as run:
                if change.contact_id is None:
                    hashes = _marks(len(change.phone_hashes))
                    if run(
                        f"SELECT 1 FROM contacts WHERE phone_hash IN ({hashes})", change.phone_hashes
                    ).fetchone():
                        raise _Lost
                    contact_id = run(
                        "INSERT INTO contacts (phone_hash, phone_encrypted, language, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (change.phone_hash, change.phone_encrypted, change.language, day, day),
                    ).lastrowid
                    assert contact_id is not None
                else:
                    contact_id = change.contact_id
                    updated = run(
                        "UPDATE contacts SET language = ?, updated_at = ? WHERE id = ?",
                        (change.language, day, contact_id),
                    )
                    if updated.rowcount != 1:
                        raise _Lost  # deleted meanwhile (an idle contact purged): the full path's
                write = write_for(contact_id)
                if run(self.SAVE, _sqlite_values(write.saved(session_id, read_hops))).rowcount != 1:
                    raise _Lost
        except (_Lost, sqlite3.IntegrityError):
            return None
        return write

    # -- the report hop --------------------------------------------------------------------

    END = (
        "UPDATE ussd_sessions SET hops=?, last_text=?, last_screen=?, language=COALESCE(?, language), "
        "last_response=?, outcome=?, ended_at=?, updated_at=?, in_report=0, state='{}', "
        "started_at=strftime('%Y-%m-%d %H:00:00.000000', started_at) "
        "WHERE id=? AND hops=? AND ended_at IS NULL"
    )

    async def send_report(self, write: ReportWrite) -> Sent:
        # Statements on the loop's thread cost microseconds: one after the other, under the lock.
        try:
            async with self._transaction() as run:
                outcome = self._send_report(run, write)
                if outcome != "sent":
                    raise _Lost(outcome)
        except _Lost as lost:
            return lost.outcome
        except sqlite3.IntegrityError:
            return "lost"  # a contact deleted meanwhile (an idle one purged): the full path's
        return outcome

    def _send_report(self, run: Callable[..., sqlite3.Cursor], write: ReportWrite) -> Sent:
        if (
            write.alert_areas
            and run(
                "SELECT 1 FROM committee_members m JOIN committee_areas a ON a.committee_id = m.committee_id "
                f"WHERE a.area_id IN ({_marks(len(write.alert_areas))}) AND m.receives_alerts = 1 LIMIT 1",
                write.alert_areas,
            ).fetchone()
        ):
            return "alerts"
        report = write.report
        made = run(
            _insert("reports", report, _marks(len(report)), " ON CONFLICT (reference) DO NOTHING"),
            [_sqlite_value(v) for v in report.values()],
        )
        if made.rowcount != 1:
            return "taken"
        end, hour = write.end, _sqlite_time(write.end.hour)
        ended = run(
            self.END,
            (
                end.hops,
                end.last_text,
                end.last_screen,
                end.language,
                end.last_response,
                end.outcome,
                hour,
                hour,
                write.session_id,
                write.read_hops,
            ),
        )
        home = run(
            "UPDATE contacts SET home_area_id = ?, updated_at = ? WHERE id = ?",
            (write.area_id, _sqlite_time(write.day), write.contact_id),
        )
        if ended.rowcount != 1 or home.rowcount != 1:
            return "lost"
        if write.receipt is not None:
            receipt = write.receipt
            run(
                _insert("outbound_messages", receipt, _marks(len(receipt))),
                [_sqlite_value(v) for v in receipt.values()],
            )
        return "sent"


class SqliteSessionStore:
    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # As the ORM's connections (db/engine.py): WAL, and no fsync at every commit (a power cut
        # may lose the last hops, never corrupt the file); never wait for the write lock.
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute("PRAGMA busy_timeout=0")
        self.released = WriteLockReleased()
        self._hop = _SqliteHop(self._connection, self.released)

    def follow(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "checkin", self.released)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[HopConnection]:
        yield self._hop

    async def close(self) -> None:
        self._connection.close()


class _PostgresHop:
    LOAD = f"SELECT {_COLUMNS} FROM ussd_sessions WHERE session_id = ANY($1::text[])"
    SAVE = (
        "UPDATE ussd_sessions SET hops=$1, last_text=$2, last_screen=$3, language=COALESCE($4, language), "
        "updated_at=$5, last_response=$6, in_report=$7, state=$8::json, contact_id=COALESCE($9, contact_id) "
        "WHERE id=$10 AND hops=$11 AND ended_at IS NULL"
    )
    # One round trip: the row, the flood count, the contact and whether a draft may be resumed.
    FIRST_FACTS = (
        "SELECT EXISTS (SELECT 1 FROM ussd_sessions WHERE session_id = ANY($1::text[])), "
        "(SELECT count(*) FROM flood_marks WHERE key = $2 AND at >= $3), c.id, c.language, c.home_area_id, "
        "$5::timestamptz IS NOT NULL AND EXISTS (SELECT 1 FROM ussd_sessions WHERE phone_hash = ANY($4::text[]) "
        "AND in_report AND outcome IS NULL AND updated_at >= $5) "
        "FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT id, language, home_area_id FROM contacts "
        "WHERE phone_hash = ANY($4::text[]) ORDER BY id LIMIT 1) AS c ON true"
    )
    # One statement: the row, and its flood mark only if the row was made.
    CREATE = (
        "WITH made AS ("
        + _INSERT_SESSION.format("$1, $2, $3, $4, $5, $6, $7, $8::json, $9, $10, $11, $12, $13, $14, $14")
        + " RETURNING id), mark AS (INSERT INTO flood_marks (key, at) SELECT $15, $14 FROM made) "
        "SELECT id FROM made"
    )
    NEW_CONTACT = (
        "INSERT INTO contacts (phone_hash, phone_encrypted, language, created_at, updated_at) "
        "SELECT $1, $2, $3, $4, $4 WHERE NOT EXISTS (SELECT 1 FROM contacts WHERE phone_hash = ANY($5::text[])) "
        "ON CONFLICT (phone_hash) DO NOTHING RETURNING id"
    )

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def load(self, keys: tuple[str, ...]) -> StoredSession | None:
        found = await self._connection.fetchrow(self.LOAD, list(keys))
        return None if found is None else _row(tuple(found))

    async def save(self, session_id: int, read_hops: int, write: MenuHopWrite) -> bool:
        status = await self._connection.execute(self.SAVE, *write.saved(session_id, read_hops))
        return bool(status == "UPDATE 1")

    async def first_facts(self, query: FirstHopQuery) -> FirstHopFacts:
        found = await self._connection.fetchrow(
            self.FIRST_FACTS,
            list(query.keys),
            query.flood_key,
            query.flood_since,
            list(query.phone_hashes),
            query.resume_since,
        )
        exists, flood, contact_id, language, home_area, resumable = tuple(found)
        return FirstHopFacts(
            exists=bool(exists),
            flood_count=int(flood),
            contact=None if contact_id is None else KnownContact(contact_id, language, home_area),
            resumable=bool(resumable),
        )

    async def create(self, row: NewSessionRow, moment: datetime) -> int | None:
        try:
            made = await self._connection.fetchval(self.CREATE, *row.inserted(moment)[:-1], row.flood_key)
        except asyncpg.IntegrityConstraintViolationError:
            return None  # the contact it names deleted meanwhile (an idle one purged): the full path's
        return None if made is None else int(made)

    # A first-time caller's language, in one statement (one round trip, where a transaction took
    # four): the session row locked if it is still where the hop read it, the contact made only
    # then and only if no contact has the number, the row moved on only if the contact was made.
    # The state names the new contact's id, which only the statement knows: it is written with a
    # stand-in number that the statement replaces with the id, so the row's text is exactly what
    # serialising the state with the id would give.
    NEW_CONTACT_AND_SAVE = (
        "WITH locked AS (SELECT id FROM ussd_sessions WHERE id = $1 AND hops = $2 AND ended_at IS NULL "
        "FOR UPDATE), "
        "made AS (INSERT INTO contacts (phone_hash, phone_encrypted, language, created_at, updated_at) "
        "SELECT $3, $4, $5, $6, $6 WHERE EXISTS (SELECT 1 FROM locked) "
        "AND NOT EXISTS (SELECT 1 FROM contacts WHERE phone_hash = ANY($7::text[])) "
        "ON CONFLICT (phone_hash) DO NOTHING RETURNING id), "
        "moved AS (UPDATE ussd_sessions SET hops=$8, last_text=$9, last_screen=$10, "
        "language=COALESCE($11, language), updated_at=$12, last_response=$13, in_report=$14, "
        "state=replace($15, $16, (SELECT id FROM made)::text)::json, contact_id=(SELECT id FROM made) "
        "WHERE id = (SELECT id FROM locked) AND EXISTS (SELECT 1 FROM made) RETURNING id) "
        "SELECT (SELECT id FROM made), EXISTS (SELECT 1 FROM moved)"
    )
    STAND_IN = -917263548311  # no contact id is negative; see NEW_CONTACT_AND_SAVE

    async def save_with_contact(
        self,
        session_id: int,
        read_hops: int,
        change: ContactLanguage,
        write_for: Callable[[int], MenuHopWrite],
    ) -> MenuHopWrite | None:
        if change.contact_id is None:
            probe = write_for(self.STAND_IN)
            # Only where the stand-in can stand for nothing else (the state holds no free text
            # before a language is chosen, but nothing is assumed).
            if probe.state_json.count(str(self.STAND_IN)) == 1:
                return await self._save_with_new_contact(session_id, read_hops, change, probe, write_for)
        connection = self._connection
        day = utcday()  # contacts keep days, not moments
        try:
            async with connection.transaction():
                if change.contact_id is None:
                    contact_id = await connection.fetchval(
                        self.NEW_CONTACT,
                        change.phone_hash,
                        change.phone_encrypted,
                        change.language,
                        day,
                        list(change.phone_hashes),
                    )
                    if contact_id is None:
                        raise _Lost
                else:
                    contact_id = change.contact_id
                    updated = await connection.execute(
                        "UPDATE contacts SET language = $1, updated_at = $2 WHERE id = $3",
                        change.language,
                        day,
                        contact_id,
                    )
                    if updated != "UPDATE 1":
                        raise _Lost  # deleted meanwhile (an idle contact purged): the full path's
                write = write_for(contact_id)
                status = await connection.execute(self.SAVE, *write.saved(session_id, read_hops))
                if status != "UPDATE 1":
                    raise _Lost
        except (_Lost, asyncpg.IntegrityConstraintViolationError):
            return None
        return write

    async def _save_with_new_contact(
        self,
        session_id: int,
        read_hops: int,
        change: ContactLanguage,
        probe: MenuHopWrite,
        write_for: Callable[[int], MenuHopWrite],
    ) -> MenuHopWrite | None:
        hop = probe.saved(session_id, read_hops)[:8]  # hops … state_json, as SAVE takes them
        try:
            contact_id, moved = tuple(
                await self._connection.fetchrow(
                    self.NEW_CONTACT_AND_SAVE,
                    session_id,
                    read_hops,
                    change.phone_hash,
                    change.phone_encrypted,
                    change.language,
                    utcday(),
                    list(change.phone_hashes),
                    *hop,
                    str(self.STAND_IN),
                )
            )
        except asyncpg.IntegrityConstraintViolationError:
            return None
        if contact_id is None or not moved:
            return None  # moved on meanwhile, or the number's contact made elsewhere: the full path's
        return write_for(int(contact_id))

    # -- the report hop --------------------------------------------------------------------

    async def send_report(self, write: ReportWrite) -> Sent:
        statement, values = _report_statement(write)
        try:
            found = await self._connection.fetchrow(statement, *values)
        except asyncpg.IntegrityConstraintViolationError:
            return "lost"  # a contact deleted meanwhile (an idle one purged): the full path's
        alerts, locked, made = tuple(found)
        if alerts:
            return "alerts"
        if not locked:
            return "lost"
        return "sent" if made else "taken"


def _numbered(count: int) -> str:
    return ", ".join(f"${n}" for n in range(1, count + 1))


_PG = postgresql.dialect()
_TABLES = {"reports": Report.__table__, "outbound_messages": OutboundMessage.__table__}


def _typed(table: str, columns: Any, first: int) -> str:
    """Parameters cast to their columns' types: in INSERT … SELECT nothing else gives them one."""
    types = _TABLES[table].columns
    return ", ".join(f"${first + n}::{types[c].type.compile(dialect=_PG)}" for n, c in enumerate(columns))


@lru_cache(maxsize=8)
def _report_sql(report_columns: tuple[str, ...], receipt_columns: tuple[str, ...] | None) -> str:
    # One statement, so one round trip and its own transaction: the session row locked if it is
    # still where the hop read it and no member takes alerts for the place; then the report, and
    # only if it was made (its reference free), the session's end, the usual commune and the
    # receipt. Each step hangs on the one before, so either all happen or none.
    first = 14
    after_report = first + len(report_columns)
    sql = (
        "WITH alerts AS (SELECT EXISTS (SELECT 1 FROM committee_members m JOIN committee_areas a "
        "ON a.committee_id = m.committee_id WHERE a.area_id = ANY($1::int[]) AND m.receives_alerts) AS found), "
        "locked AS (SELECT id FROM ussd_sessions WHERE id = $2 AND hops = $3 AND ended_at IS NULL "
        "AND NOT (SELECT found FROM alerts) FOR UPDATE), "
        f"made AS (INSERT INTO reports ({', '.join(report_columns)}) "
        f"SELECT {_typed('reports', report_columns, first)} "
        "FROM locked ON CONFLICT (reference) DO NOTHING RETURNING id), "
        "ended AS (UPDATE ussd_sessions SET hops=$4, last_text=$5, last_screen=$6, "
        "language=COALESCE($7, language), last_response=$8, outcome=$9, ended_at=$10, updated_at=$10, "
        "in_report=false, state='{}'::json, "
        "started_at=date_trunc('hour', started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' "
        "WHERE id = $2 AND EXISTS (SELECT 1 FROM made) RETURNING id), "
        "home AS (UPDATE contacts SET home_area_id = $11, updated_at = $12 WHERE id = $13 "
        "AND EXISTS (SELECT 1 FROM ended) RETURNING id)"
    )
    if receipt_columns is not None:
        sql += (
            f", receipt AS (INSERT INTO outbound_messages ({', '.join(receipt_columns)}) "
            f"SELECT {_typed('outbound_messages', receipt_columns, after_report)} FROM ended)"
        )
    return (
        sql + " SELECT (SELECT found FROM alerts), EXISTS (SELECT 1 FROM locked), EXISTS (SELECT 1 FROM home)"
    )


def _report_statement(write: ReportWrite) -> tuple[str, list[Any]]:
    end, receipt = write.end, write.receipt
    values: list[Any] = [
        list(write.alert_areas),
        write.session_id,
        write.read_hops,
        end.hops,
        end.last_text,
        end.last_screen,
        end.language,
        end.last_response,
        end.outcome,
        end.hour,
        write.area_id,
        write.day,
        write.contact_id,
        *write.report.values(),
        *(receipt.values() if receipt is not None else ()),
    ]
    sql = _report_sql(tuple(write.report), tuple(receipt) if receipt is not None else None)
    return sql, values


class PostgresSessionStore:
    def __init__(self, dsn: str, pool_size: int, wait_s: float) -> None:
        self._connections = ConnectionLender(dsn, pool_size, wait_s)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[HopConnection]:
        connection = await self._connections.take()
        try:
            yield _PostgresHop(connection)
        except BaseException:
            # Whatever went wrong may have left the connection broken (the server dropped it
            # mid-statement): terminated, and a new one opened in its place when needed.
            self._connections.give_back(connection, broken=True)
            raise
        self._connections.give_back(connection)

    def follow(self, engine: AsyncEngine) -> None:
        return None  # rows are locked one by one: nothing to wait for as a whole

    async def close(self) -> None:
        await self._connections.close()


def session_store(database_url: str, pool_size: int, wait_s: float = 10.0) -> SessionStore:
    """`pool_size` connections on PostgreSQL, a hop waiting `wait_s` at most for one."""
    if database_url.startswith("sqlite"):
        return SqliteSessionStore(database_url.split(":///", 1)[1])
    return PostgresSessionStore("postgresql://" + database_url.split("://", 1)[1], pool_size, wait_s)
