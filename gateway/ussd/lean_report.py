"""Sending a report on the lean path: the report, its receipt, the caller's usual commune and the
session's end, in one transaction on the driver (store.py, HopTransaction).

Only the common case is done here: a report that keeps the reporter's number, from a caller
whose contact the session knows, without a subscription, and, when urgent, for a place no
committee member takes alerts for. The rest goes the full way, where each step is written once:
an anonymous report (forgetting a contact made during the dial, the sessions it resumed, the
masked reference), a subscription, an urgent alert to members. The rows are the full path's
own, column by column: reports.service.report_values, Outbox.message_values,
UssdService.receipt_text, privacy.end_session's rules (EndHopWrite).
"""

from __future__ import annotations

from typing import Any

from gateway.areas.coverage import area_and_ancestors
from gateway.areas.directory import AreaDirectory
from gateway.db.base import floor_hour, utcday, utcnow
from gateway.reports.service import (
    NO_FREE_REFERENCE,
    InvalidReport,
    NewReport,
    candidate_references,
    report_values,
)
from gateway.ussd.engine import ActionResult, Reply
from gateway.ussd.render import Label
from gateway.ussd.service import UssdService
from gateway.ussd.store import EndHopWrite, HopTransaction, StoredSession

_NEEDED = ("topic", "area", "urgency", "description", "anonymous")


class NotHere(Exception):
    """This report is the full path's to send."""


class ReportHop:
    def __init__(
        self,
        ussd: UssdService,
        transaction: HopTransaction,
        directory: AreaDirectory,
        row: StoredSession,
        caller: dict[str, Any],
        phone: str,
    ) -> None:
        self.ussd = ussd
        self.transaction = transaction
        self.directory = directory
        self.row = row
        self.caller = caller
        self.phone = phone
        self.reference: str | None = None  # set once the report is written
        self._area = self._contact = 0
        self._receipt = False
        self._open = False

    async def act(self, data: dict[str, Any]) -> ActionResult:
        """As DatabaseRuntime._submit: the report written (in this hop's transaction, opened now)."""
        contact_id = self.caller.get("id")
        area = self.directory.get(data.get("area"))
        if (
            any(key not in data for key in _NEEDED)
            or data["anonymous"] is not False
            or data.get("subscribe")
            or not isinstance(contact_id, int)
            or area is None
        ):
            raise NotHere
        new = NewReport(
            channel="ussd",
            language=self.row.language or self.caller.get("language") or "fr",
            topic=str(data["topic"]),
            area_id=area.id,
            urgency=str(data["urgency"]),
            description=str(data["description"]),
            anonymous=False,
            contact_id=contact_id,
        )
        try:
            new.validate()
        except InvalidReport:
            raise NotHere from None  # the full path says what is wrong
        if new.urgency == "urgent" and await self.transaction.alert_members(
            area_and_ancestors(self.directory, area.id)
        ):
            raise NotHere  # the members' alerts: CommitteeNotifier.report_created
        await self.transaction.begin()
        self._open = True
        now = utcnow()
        for reference in candidate_references():
            if await self.transaction.insert_report(report_values(new, reference, now)) is not None:
                break
        else:
            raise RuntimeError(NO_FREE_REFERENCE)
        self.reference, self._area, self._contact = reference, area.id, contact_id
        self._receipt = bool(data.get("receipt", True))
        return ActionResult(data={"reference": reference}, show={"reference": Label(text=reference)})

    async def finish(self, text: str, reply: Reply, state: dict[str, Any]) -> bool:
        """The rest of the hop's writes, then the commit; False (all rolled back) when the row or
        the contact moved on meanwhile."""
        assert self.reference is not None
        contact_id = self._contact
        language = str(state.get("lang") or "fr")
        ended = EndHopWrite(
            hops=self.row.hops + 1,
            last_text=self.ussd.pseudonyms.input_path(text),
            last_screen=reply.screen,
            language=language if isinstance(state.get("lang"), str) else self.row.language,
            last_response=reply.text,
            outcome=str(state.get("outcome") or "ended"),
            hour=floor_hour(utcnow()),
        )
        try:
            if not await self.transaction.set_home_area(contact_id, self._area, utcday()):
                return await self._undo()
            if self._receipt:
                # USSD screens vanish; the reference also arrives by SMS (UssdService._receipt).
                message = self.ussd.outbox.message_values(
                    phone=self.phone,
                    text=self.ussd.receipt_text(language, self.reference),
                    language=language,
                    kind="receipt",
                    contact_id=contact_id,
                    now=utcnow(),
                )
                await self.transaction.insert_message(message)
            if not await self.transaction.end(self.row.id, self.row.hops, ended):
                return await self._undo()
            await self.transaction.commit()
        except BaseException:
            await self._undo()
            raise
        self._open = False
        return True

    async def abandon(self) -> None:
        """Nothing of this hop is kept (the full path does it again, or it failed)."""
        if self._open:
            await self._undo()

    async def _undo(self) -> bool:
        self._open = False
        await self.transaction.rollback()
        return False
