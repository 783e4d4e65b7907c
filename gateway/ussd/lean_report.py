"""Sending a report on the lean path: the report, its receipt, the caller's usual commune and the
session's end, written together by the store (store.py, ReportWrite: one statement on
PostgreSQL, one transaction on SQLite).

Only the common case is done here: a report that keeps the reporter's number, from a caller
whose contact the session knows, without a subscription, and, when urgent, for a place no
committee member takes alerts for. The rest goes the full way, where each step is written once:
an anonymous report (forgetting a contact made during the dial, the sessions it resumed, the
masked reference), a subscription, an urgent alert to members, and a reference already taken
(create_report tries the next). The rows are the full path's own, column by column:
reports.service.report_values, Outbox.message_values, UssdService.receipt_text, and
privacy.end_session's rules (EndHopWrite).
"""

from __future__ import annotations

from typing import Any

from gateway.areas.coverage import area_and_ancestors
from gateway.areas.directory import AreaDirectory
from gateway.db.base import floor_hour, utcday, utcnow
from gateway.reports.service import InvalidReport, NewReport, candidate_references, report_values
from gateway.ussd.engine import ActionResult, Reply
from gateway.ussd.render import Label
from gateway.ussd.service import UssdService
from gateway.ussd.store import EndHopWrite, ReportWrite, StoredSession

_NEEDED = ("topic", "area", "urgency", "description", "anonymous")


class NotHere(Exception):
    """This report is the full path's to send."""


class ReportHop:
    def __init__(
        self,
        ussd: UssdService,
        directory: AreaDirectory,
        row: StoredSession,
        caller: dict[str, Any],
        phone: str,
    ) -> None:
        self.ussd = ussd
        self.directory = directory
        self.row = row
        self.caller = caller
        self.phone = phone
        self.new: NewReport | None = None  # the report this hop sends, once the flow asks
        self.reference = ""
        self._receipt = False
        self._area = self._contact = 0

    async def act(self, data: dict[str, Any]) -> ActionResult:
        """As DatabaseRuntime._submit, short of writing: the report and its reference, for the
        screen that shows it; LeanHops writes it all once the screen is made."""
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
        self.new, self.reference = new, next(candidate_references())
        self._area, self._contact = area.id, contact_id
        self._receipt = bool(data.get("receipt", True))
        return ActionResult(
            data={"reference": self.reference}, show={"reference": Label(text=self.reference)}
        )

    def write(self, text: str, reply: Reply, state: dict[str, Any]) -> ReportWrite:
        """What the store writes for the report made by `act`, the session ending on `reply`."""
        new = self.new
        assert new is not None, "act() made no report"
        chosen = state.get("lang")
        language = str(chosen or "fr")
        now = utcnow()
        receipt = None
        if self._receipt:
            # USSD screens vanish; the reference also arrives by SMS (UssdService._receipt).
            receipt = self.ussd.outbox.message_values(
                phone=self.phone,
                text=self.ussd.receipt_text(language, self.reference),
                language=language,
                kind="receipt",
                contact_id=self._contact,
                now=now,
            )
        return ReportWrite(
            session_id=self.row.id,
            read_hops=self.row.hops,
            report=report_values(new, self.reference, now),
            receipt=receipt,
            contact_id=self._contact,
            area_id=self._area,
            day=utcday(),
            alert_areas=tuple(area_and_ancestors(self.directory, new.area_id))
            if new.urgency == "urgent"
            else (),
            end=EndHopWrite(
                hops=self.row.hops + 1,
                last_text=self.ussd.pseudonyms.input_path(text),
                last_screen=reply.screen,
                language=chosen if isinstance(chosen, str) else self.row.language,
                last_response=reply.text,
                outcome=str(state.get("outcome") or "ended"),
                hour=floor_hour(now),
            ),
        )
