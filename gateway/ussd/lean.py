"""The lean hop: a caller answering a menu or typing text in a session already under way.

Most hops of a session are that: the row is read, the engine moves through flows and catalogs, the
row is written back — nothing else in the database. Those run here, on the driver (store.py), in
two statements. Whatever needs more (a new session, an action such as sending the report or
choosing the language, the caller's reports, a resumed draft, the end of a session, a row another
process moved on meanwhile) is handed to the full path (service.py) before anything is written,
which then does the hop from the start, under a row lock, with the ORM. So both paths give the
same answer, and a hop is never half done by one and finished by the other.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from gateway.areas.directory import AreaDirectory, CachedDirectory
from gateway.db.errors import connection_lost
from gateway.security.pseudonyms import Pseudonyms
from gateway.ussd.engine import ActionResult, Choice, Engine, Reply
from gateway.ussd.runtime import area_choices
from gateway.ussd.schema import OptionSource
from gateway.ussd.service import HopContext, UssdRequest, next_input
from gateway.ussd.store import (
    HopConnection,
    MenuHopWrite,
    SessionStore,
    StoreBusy,
    StoredSession,
    dump_state,
)

AREA_SOURCES = ("areas.usual", "areas.countries", "areas.provinces", "areas.communes")


class NeedsFullPath(Exception):
    """The hop asked for something only the full path does."""


class MenuRuntime:
    """The engine's window for a lean hop: the caller as the session remembers them and the area
    tree in memory; anything else is the full path's."""

    def __init__(self, directory: AreaDirectory, caller: dict[str, Any]) -> None:
        self.directory = directory
        self.caller = caller

    def values(self) -> dict[str, Any]:
        return {
            "language": self.caller.get("language"),
            "home_area": self.caller.get("home_area"),
            "resumable": False,
        }

    async def choices(self, source: OptionSource, data: dict[str, Any]) -> list[Choice]:
        if source.source not in AREA_SOURCES:
            raise NeedsFullPath(source.source)
        return area_choices(self.directory, source, data, self.caller.get("home_area"))

    async def act(self, action: str, flow: str, data: dict[str, Any]) -> ActionResult:
        raise NeedsFullPath(action)


class LeanHops:
    # Sessions this process wrote last, as it wrote them: the next hop of one needs no read, only
    # the guarded write, which fails (and the row is read) if anyone else wrote it meanwhile.
    RECENT = 10_000

    def __init__(
        self, engine: Engine, store: SessionStore, pseudonyms: Pseudonyms, directory: CachedDirectory
    ) -> None:
        self.engine = engine
        self.store = store
        self.pseudonyms = pseudonyms
        self.directory = directory
        self._recent: OrderedDict[str, tuple[int, MenuHopWrite]] = OrderedDict()

    def forget(self, session_id: str) -> None:
        """The full path wrote this session: what this process remembers of it is out of date."""
        self._recent.pop(session_id, None)

    async def hop(self, request: UssdRequest, context: HopContext) -> Reply | None:
        """The reply, or None: the full path is to answer this hop. `context` learns the caller's
        language as soon as it is known, for an apology in it if anything fails."""
        directory = self.directory.fresh()
        if directory is None:
            return None  # the full path reloads the area tree
        for attempt in (1, 2):
            try:
                async with self.store.connect() as connection:
                    return await self._hop(connection, directory, request, context)
            except StoreBusy:
                return None
            except Exception as exc:
                # A connection the server closed (a restart, an idle timeout) is found out here,
                # not by a ping before every hop: once more, on another. Nothing was written, or
                # the guarded write went through and the retry sees a repeated hop.
                if attempt == 2 or not connection_lost(exc):
                    raise
        raise AssertionError("unreachable")

    async def _hop(
        self, connection: HopConnection, directory: AreaDirectory, request: UssdRequest, context: HopContext
    ) -> Reply | None:
        remembered = self._recent.pop(request.session_id, None)
        if remembered is not None:
            row: StoredSession | None = _as_row(*remembered)
        else:
            row = await connection.load((request.session_id, self.pseudonyms.session_id(request.session_id)))
        if row is None or not row.hops or row.ended or row.state.get("resume_from"):
            return None
        context.language = row.language or (row.state.get("caller") or {}).get("language")
        if request.text == row.last_text:
            # The provider repeated a hop we already answered: same answer, no second effect.
            if remembered is not None:
                self._remember(request.session_id, *remembered)
            return Reply(row.last_response, False, row.last_screen)
        state = row.state
        runtime = MenuRuntime(directory, state.get("caller") or {})
        try:
            reply = await self.engine.handle(state, next_input(row.last_text, request.text), runtime)
        except NeedsFullPath:
            return None
        if reply.end:
            return None  # ending a session clears and coarsens its row: the full path's job
        language = state.get("lang")
        write = MenuHopWrite(
            hops=row.hops + 1,
            last_text=request.text,
            last_screen=reply.screen,
            language=language if isinstance(language, str) else row.language,
            last_response=reply.text,
            in_report=self.engine.flows.is_resumable(self.engine.flows.parse(reply.screen)),
            state_json=dump_state(state),
        )
        if not await connection.save(row.id, row.hops, write):
            if remembered is not None:
                # Written elsewhere since this process last did: do it again from the row.
                return await self._hop(connection, directory, request, context)
            return None  # moved on meanwhile (a repeat racing us): the full path decides, locked
        self._remember(request.session_id, row.id, write)
        context.language, context.screen = write.language, reply.screen
        return reply

    def _remember(self, session_id: str, row_id: int, write: MenuHopWrite) -> None:
        self._recent[session_id] = (row_id, write)
        if len(self._recent) > self.RECENT:
            self._recent.popitem(last=False)


def _as_row(row_id: int, write: MenuHopWrite) -> StoredSession:
    return StoredSession(
        id=row_id,
        hops=write.hops,
        ended=False,
        last_text=write.last_text,
        last_response=write.last_response,
        last_screen=write.last_screen,
        language=write.language,
        state=json.loads(write.state_json),
    )
