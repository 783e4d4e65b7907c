"""One USSD hop, provider-neutral: find or start the session, run the engine, keep the state."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.directory import CachedDirectory
from gateway.committees.notify import CommitteeNotifier
from gateway.contacts.service import find_contact
from gateway.db.base import utcnow
from gateway.flood.counter import FloodCounter
from gateway.i18n.text import fill, finish
from gateway.outbox.service import Outbox
from gateway.reports.models import Report
from gateway.security.keys import PhoneVault
from gateway.security.pseudonyms import Pseudonyms
from gateway.ussd.engine import Engine, Reply, new_state
from gateway.ussd.models import UssdSession
from gateway.ussd.privacy import end_session, forget_caller
from gateway.ussd.runtime import Caller, DatabaseRuntime
from gateway.ussd.sessions import session_row, session_row_or_new

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UssdRequest:
    """What every aggregator's USSD callback boils down to."""

    provider: str
    session_id: str
    phone: str  # E.164
    text: str  # the whole input path, inputs joined with '*'
    service_code: str = ""
    network_code: str = ""


@dataclass
class HopContext:
    """Filled as a hop goes, so a failure can still apologise in the caller's language."""

    language: str | None = None
    screen: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def next_input(previous_text: str, text: str) -> str:
    """The caller's latest input, given the path seen at the last hop ('1*2' then '1*2*a*b' -> 'a*b')."""
    if not previous_text:
        return text
    if text.startswith(previous_text + "*"):
        return text[len(previous_text) + 1 :]
    # Not an extension of what we saw (a provider that resets the path): take the last segment.
    return text.rsplit("*", 1)[-1]


class UssdService:
    def __init__(
        self,
        engine: Engine,
        vault: PhoneVault,
        pseudonyms: Pseudonyms,
        directory: CachedDirectory,
        outbox: Outbox,
        notifier: CommitteeNotifier,
        resume_window_s: int,
        flood_sessions_per_min: int = 8,
    ) -> None:
        self.pseudonyms = pseudonyms
        self.flood = FloodCounter(pseudonyms, "ussd", flood_sessions_per_min)
        self.notifier = notifier
        self.engine = engine
        self.vault = vault
        self.directory = directory
        self.outbox = outbox
        self.resume_window = timedelta(seconds=resume_window_s)

    async def handle(self, db: AsyncSession, request: UssdRequest, hop: HopContext) -> Reply:
        # The current key's hash first; during a key rotation, the previous keys' too.
        phone_hashes = self.vault.lookup_hashes(request.phone)
        row = await session_row(db, self.pseudonyms, request.session_id)
        created = row is None
        if row is None:
            row = await session_row_or_new(
                db,
                self.pseudonyms,
                session_id=request.session_id,
                provider=request.provider,
                service_code=request.service_code,
                network_code=request.network_code,
                phone_hash=phone_hashes[0],
            )
            if row.hops:  # another process created it first; treat as a repeat of that hop
                created = False
        elif row.hops and self._repeated(row, request.text):
            # The provider repeated a hop we already answered: same answer, no second effect.
            return Reply(row.last_response, bool(row.ended_at), row.last_screen)

        directory = await self.directory.get(db)
        if created and await self.flood.hit(db, request.phone):
            # One number dialling again and again must not crowd out everyone else.
            tr = self.engine.catalogs.translator(self.engine.default_language)
            contact = await find_contact(db, self.vault, request.phone)
            if contact is not None and contact.language:
                tr = self.engine.catalogs.translator(contact.language)
            reply = Reply(finish(tr.gettext("ussd.flood"), tr.code, self.engine.limit), True, "flood")
            row.hops, row.outcome, row.last_response, row.last_screen = 1, "flood", reply.text, "flood"
            end_session(row, self.pseudonyms, request.text)
            return reply
        if created:
            caller = Caller.from_contact(request.phone, await find_contact(db, self.vault, request.phone))
            row.contact_id = caller.contact_id
            hop.language = caller.language
            runtime = DatabaseRuntime(db, self.vault, directory, caller, row)
            caller.resumable = await self._resumable(db, phone_hashes, row.id)
            state = new_state(hop.language)
            if caller.resumable is not None:
                state["resume_from"] = caller.resumable.id
            reply = await self.engine.start(state, runtime, request.text)
        else:
            # A deep copy: the ORM compares the new value with the loaded one to decide on an UPDATE.
            state = copy.deepcopy(row.state)
            caller = Caller.from_snapshot(request.phone, state.get("caller") or {})
            hop.language = row.language or caller.language
            runtime = DatabaseRuntime(db, self.vault, directory, caller, row)
            if row.ended_at is not None:
                tr = self.engine.catalogs.translator(row.language or self.engine.default_language)
                return Reply(tr.gettext("ussd.error.session_over"), True, row.last_screen)
            if state.get("resume_from"):
                caller.resumable = await self._resumable(
                    db, phone_hashes, row.id, only=state.pop("resume_from")
                )
            reply = await self.engine.handle(state, next_input(row.last_text, request.text), runtime)

        hop.language, hop.screen = state.get("lang"), reply.screen
        report = runtime.report
        if report is not None:
            if runtime.receipt:
                await self._receipt(db, request.phone, str(state.get("lang") or "fr"), caller, report)
            await self.notifier.report_created(db, report)
        state["caller"] = caller.snapshot()
        self._save(row, state, request.text, reply)
        if report is not None and report.anonymous:
            row.last_response = reply.text.replace(report.reference, "R-****")
            await forget_caller(db, self.pseudonyms, row)
        # Neither the number nor the session id: next to a screen such as report:done and a time,
        # the provider's session id (which its records tie to a phone) would unmask an anonymous
        # reporter.
        log.debug("ussd hop screen=%s end=%s", reply.screen, reply.end)
        return reply

    def _repeated(self, row: UssdSession, text: str) -> bool:
        if row.ended_at is None:
            return text == row.last_text
        # An ended session keeps only a digest of its inputs (they held the description).
        return row.last_text in (text, self.pseudonyms.input_path(text))

    async def _receipt(
        self, db: AsyncSession, phone: str, language: str, caller: Caller, report: Report
    ) -> None:
        """USSD screens vanish; the reference also arrives by SMS, in the same transaction. For an
        anonymous reporter only on request (that SMS ties the reference to the number at the
        operator), and its row is deleted once the provider has it."""
        await self.outbox.enqueue(
            db,
            phone=phone,
            text=self.receipt_text(language, report.reference),
            language=language,
            kind="receipt",
            contact_id=None if report.anonymous else caller.contact_id,
            scrub_after_send=report.anonymous,
        )

    def receipt_text(self, language: str, reference: str) -> str:
        return fill(
            self.engine.catalogs.translator(language).gettext("sms.receipt"), {"reference": reference}
        )

    def _save(self, row: UssdSession, state: dict[str, object], text: str, reply: Reply) -> None:
        row.hops += 1
        row.last_text = text
        row.last_screen = reply.screen
        language = state.get("lang")
        if isinstance(language, str):
            row.language = language
        row.updated_at = utcnow()
        row.last_response = reply.text
        row.in_report = not reply.end and self.engine.flows.is_resumable(
            self.engine.flows.parse(reply.screen)
        )
        if reply.end:
            row.outcome = str(state.get("outcome") or "ended")
            end_session(row, self.pseudonyms, text)
        else:
            row.state = state

    async def _resumable(
        self, db: AsyncSession, phone_hashes: tuple[str, ...], current_id: int, only: int | None = None
    ) -> UssdSession | None:
        if self.resume_window.total_seconds() <= 0:
            return None
        since = utcnow() - self.resume_window
        result = await db.execute(
            select(UssdSession)
            .where(
                UssdSession.phone_hash.in_(phone_hashes),
                UssdSession.id != current_id,
                UssdSession.in_report.is_(True),
                UssdSession.outcome.is_(None),
                UssdSession.updated_at >= since,
            )
            .where(UssdSession.id == only if only is not None else true())
            .order_by(UssdSession.updated_at.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()
