"""The lean hop: most hops of a report, done with the driver itself (store.py), not the ORM.

A menu answer or a text (a commune typed by name included: matched in memory, places.py): the row
read (not even that when this process wrote it last), the engine moves through flows and catalogs,
the row written back with a guard. The dial: one read of what it
needs, then the row and its flood mark in one write. The language choice: the contact with the
row, in one transaction. Sending a named report: lean_report.py. Whatever needs more (an
anonymous report, a subscription, members to alert, the caller's reports, a draft to resume, a
flood, another end of a session, a row or a contact another process moved on meanwhile) is handed
to the full path (service.py) before anything is written, which then does the hop from the start,
under a row lock, with the ORM. So both paths give the same answer, and a hop is never half done by
one and finished by the other.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from gateway.areas.directory import AreaDirectory
from gateway.db.base import utcnow
from gateway.db.errors import connection_lost
from gateway.flood.counter import WINDOW as FLOOD_WINDOW
from gateway.i18n.languages import LANGUAGES
from gateway.ops.metrics import USSD_STORE_BUSY
from gateway.ussd.engine import ActionResult, Choice, Reply, new_state
from gateway.ussd.lean_report import NotHere, ReportHop
from gateway.ussd.places import PLACE_ACTIONS, place_action
from gateway.ussd.runtime import AREA_SOURCES, Caller, area_choices
from gateway.ussd.schema import OptionSource
from gateway.ussd.service import HopContext, UssdRequest, UssdService, next_input
from gateway.ussd.store import (
    ContactLanguage,
    FirstHopQuery,
    HopConnection,
    MenuHopWrite,
    NewSessionRow,
    SessionStore,
    StoreBusy,
    StoredSession,
    dump_state,
    load_state,
)


class NeedsFullPath(Exception):
    """The hop asked for something only the full path does."""


class MenuRuntime:
    """The engine's window for a lean hop: the caller as the session remembers them and the area
    tree in memory; anything else is the full path's."""

    def __init__(
        self, directory: AreaDirectory, caller: dict[str, Any], report: ReportHop | None = None
    ) -> None:
        self.directory = directory
        self.caller = caller  # the state's snapshot of the caller (runtime.Caller.snapshot)
        self.language: str | None = None  # chosen on this hop: the contact is to be written
        self.report = report  # sends the report, when this hop does

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
        # As DatabaseRuntime._set_language, the contact written with the row (LeanHops._save).
        # Anything else, or an unknown code (the full path says what is wrong), is the full path's.
        code = data.get("language")
        if action == "set_language" and self.language is None and code in LANGUAGES:
            self.caller["language"] = self.language = code
            return ActionResult(language=code)
        if action in PLACE_ACTIONS:
            # From the area tree in memory, as the full path does it (places.py).
            return place_action(self.directory, action, data, self.caller.get("home_area"))
        if action == "submit_report" and self.report is not None and self.report.new is None:
            try:
                return await self.report.act(data)
            except NotHere:
                raise NeedsFullPath(action) from None
        raise NeedsFullPath(action)


class LeanHops:
    # Sessions this process wrote last, as it wrote them: the next hop of one needs no read, only
    # the guarded write, which fails (and the row is read) if anyone else wrote it meanwhile.
    RECENT = 10_000

    def __init__(self, ussd: UssdService, store: SessionStore) -> None:
        # The full path's own engine, keys, flood counter, outbox and settings: one set of rules.
        self.ussd = ussd
        self.engine = ussd.engine
        self.store = store
        self.pseudonyms = ussd.pseudonyms
        self.directory = ussd.directory
        self.vault = ussd.vault
        self.resume_window = ussd.resume_window
        self.flood = ussd.flood
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
                USSD_STORE_BUSY.inc()
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
        row = (
            _as_row(*remembered)
            if remembered is not None
            else await connection.load((request.session_id, self.pseudonyms.session_id(request.session_id)))
        )
        if row is None:
            return await self._first(connection, directory, request, context)
        if not row.hops or row.ended or row.state.get("resume_from"):
            return None
        context.language = row.language or (row.state.get("caller") or {}).get("language")
        if request.text == row.last_text:
            # The provider repeated a hop we already answered: same answer, no second effect.
            if remembered is not None:
                self._remember(request.session_id, *remembered)
            return Reply(row.last_response, False, row.last_screen)
        state = row.state
        caller = state.get("caller")
        if not isinstance(caller, dict):
            caller = state["caller"] = {}
        report = ReportHop(self.ussd, directory, row, caller, request.phone)
        runtime = MenuRuntime(directory, caller, report)
        try:
            reply = await self.engine.handle(state, next_input(row.last_text, request.text), runtime)
        except NeedsFullPath:
            return None
        if report.new is not None:
            return await self._sent(connection, directory, request, context, report, reply, state, remembered)
        if reply.end:
            return None  # ending a session clears and coarsens its row: the full path's job
        hops = row.hops + 1
        write: MenuHopWrite | None
        if runtime.language is None:
            write = self._write(hops, request.text, reply, state, row.language)
            if not await connection.save(row.id, row.hops, write):
                write = None
        else:
            write = await connection.save_with_contact(
                row.id,
                row.hops,
                self._contact_change(runtime.language, caller, request.phone),
                lambda contact_id: self._write(
                    hops, request.text, reply, state, row.language, _with_contact(caller, contact_id)
                ),
            )
        if write is None:
            if remembered is not None:
                # Written elsewhere since this process last did: do it again from the row.
                return await self._hop(connection, directory, request, context)
            return None  # moved on meanwhile (a repeat racing us): the full path decides, locked
        self._remember(request.session_id, row.id, write)
        context.language, context.screen = write.language, reply.screen
        return reply

    async def _sent(
        self,
        connection: HopConnection,
        directory: AreaDirectory,
        request: UssdRequest,
        context: HopContext,
        report: ReportHop,
        reply: Reply,
        state: dict[str, Any],
        remembered: tuple[int, MenuHopWrite] | None,
    ) -> Reply | None:
        """The hop that sends a report: all its writes, or (anything in the way) none of them."""
        if not reply.end:
            return None  # no flow goes on after sending: leave it to the full path
        sent = await connection.send_report(report.write(request.text, reply, state))
        if sent != "sent":
            if sent == "lost" and remembered is not None:
                # Written elsewhere since this process last did: do it again from the row.
                return await self._hop(connection, directory, request, context)
            return None  # a taken reference, members to alert, a row moved on: the full path's
        self.forget(request.session_id)  # ended: no next hop to spare a read
        context.language, context.screen = state.get("lang"), reply.screen
        return reply

    async def _first(
        self, connection: HopConnection, directory: AreaDirectory, request: UssdRequest, context: HopContext
    ) -> Reply | None:
        """A session's first hop (or a hop of a session this database never saw): as the full
        path's, from what one read finds; a flood, a draft to offer or a row that appeared
        meanwhile are the full path's."""
        now = utcnow()
        phone_hashes = self.vault.lookup_hashes(request.phone)
        flood_key = self.flood.key(request.phone, now)
        facts = await connection.first_facts(
            FirstHopQuery(
                keys=(request.session_id, self.pseudonyms.session_id(request.session_id)),
                phone_hashes=phone_hashes,
                flood_key=flood_key,
                # Marks older than the window are not counted; the sweep (retention/sweep.py)
                # deletes them, so this hop need not.
                flood_since=now - FLOOD_WINDOW,
                resume_since=now - self.resume_window if self.resume_window.total_seconds() > 0 else None,
            )
        )
        if facts.exists or facts.resumable or self.flood.over(facts.flood_count):
            return None
        known = facts.contact
        caller = (
            Caller(request.phone)
            if known is None
            else Caller(request.phone, known.id, known.language, known.home_area)
        ).snapshot()
        context.language = caller["language"]
        state = new_state(caller["language"])
        state["caller"] = caller
        runtime = MenuRuntime(directory, caller)
        try:
            reply = await self.engine.start(state, runtime, request.text)
        except NeedsFullPath:
            return None
        if reply.end or runtime.language is not None:
            return None  # a language chosen in the dialled code itself: rare, the full path's
        write = self._write(1, request.text, reply, state, None, caller["id"])
        row = NewSessionRow(
            session_id=request.session_id,
            provider=request.provider,
            service_code=request.service_code[:64],
            network_code=request.network_code[:16],
            phone_hash=phone_hashes[0],
            flood_key=flood_key,
            write=write,
        )
        row_id = await connection.create(row, now)
        if row_id is None:
            return None  # made meanwhile by another process: a repeat, the full path's
        self._remember(request.session_id, row_id, write)
        context.language, context.screen = write.language, reply.screen
        return reply

    def _contact_change(self, language: str, caller: dict[str, Any], phone: str) -> ContactLanguage:
        contact_id = caller.get("id")
        if isinstance(contact_id, int):
            return ContactLanguage(language, contact_id)
        # New rows are always under the current key; any key's hash finds an existing contact.
        return ContactLanguage(
            language,
            None,
            phone_hash=self.vault.lookup_hash(phone),
            phone_hashes=self.vault.lookup_hashes(phone),
            phone_encrypted=self.vault.encrypt(phone),
        )

    def _write(
        self,
        hops: int,
        text: str,
        reply: Reply,
        state: dict[str, Any],
        language: str | None,
        contact_id: int | None = None,
    ) -> MenuHopWrite:
        chosen = state.get("lang")
        return MenuHopWrite(
            hops=hops,
            last_text=text,
            last_screen=reply.screen,
            language=chosen if isinstance(chosen, str) else language,
            last_response=reply.text,
            in_report=self.engine.flows.is_resumable(self.engine.flows.parse(reply.screen)),
            state_json=dump_state(state),
            contact_id=contact_id,
        )

    def _remember(self, session_id: str, row_id: int, write: MenuHopWrite) -> None:
        self._recent[session_id] = (row_id, write)
        if len(self._recent) > self.RECENT:
            self._recent.popitem(last=False)


def _with_contact(caller: dict[str, Any], contact_id: int) -> int:
    """The caller's snapshot names the contact the language was written to; a contact made now
    marks a first-time caller (an anonymous report later deletes it: runtime._forget_new_contact)."""
    if caller.get("id") != contact_id:
        caller["id"], caller["new"] = contact_id, True
    return contact_id


def _as_row(row_id: int, write: MenuHopWrite) -> StoredSession:
    return StoredSession(
        id=row_id,
        hops=write.hops,
        ended=False,
        last_text=write.last_text,
        last_response=write.last_response,
        last_screen=write.last_screen,
        language=write.language,
        state=load_state(write.state_json),
    )
