"""A report's status, and every move of it: new, forwarded, acknowledged, in progress, closed.

The one place that writes `reports.status`. Who must hear of a move (the reporter, committees)
is not known here: the wiring plugs it in as a ReportWatcher (committees/notify.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.i18n.text import excerpt
from gateway.reports.models import OPEN, Report, ReportEvent, status_among
from gateway.reports.reference import parse_reference
from gateway.reports.service import STATUSES

MAX_NOTE = 500
NOTE_IN_SMS = 120


class StatusError(ValueError):
    pass


class ReportWatcher(Protocol):
    """Who hears of what happens to a report."""

    async def tell_reporter(
        self, db: AsyncSession, report: Report, msgid: str, actor: str = "", **values: str
    ) -> bool: ...

    async def place_changed(self, db: AsyncSession, report: Report, previous_area: int | None) -> int: ...

    async def committee_named(
        self, db: AsyncSession, report: Report, committee_id: int | None
    ) -> str | None: ...


def forward(db: AsyncSession, report: Report, actor: str) -> None:
    """Sent on to a committee (an urgent alert): a new report becomes forwarded."""
    if report.status == "new":
        report.status = "forwarded"
        db.add(ReportEvent(report_id=report.id, kind="status", status="forwarded", actor=actor))


async def forward_summarised(
    db: AsyncSession, communes: Iterable[int], start: datetime, end: datetime
) -> None:
    """The new reports a summary counted (placed in `communes` between `start` and `end`) are forwarded."""
    await db.execute(
        update(Report)
        .where(
            Report.area_id.in_(sorted(communes)),
            Report.placed_at >= start,
            Report.placed_at < end,
            status_among("new"),
        )
        .values(status="forwarded")
    )


def acknowledge(db: AsyncSession, report: Report, member_id: int, actor: str) -> bool:
    """A committee member answered OK: recorded each time; True the first time it moves the report."""
    db.add(
        ReportEvent(report_id=report.id, kind="ack", status="acknowledged", member_id=member_id, actor=actor)
    )
    if report.status not in OPEN:
        return False
    report.status = "acknowledged"
    return True


async def change_status(
    db: AsyncSession,
    watcher: ReportWatcher,
    reference: str,
    status: str,
    note: str | None,
    actor: str,
    committee_id: int | None = None,
) -> tuple[Report, bool]:
    """Returns the report and whether its reporter was told: on closing, and on a first
    acknowledgement (as a member's `OK R-…` by SMS tells them, naming `committee_id`'s committee,
    the acting member's, or else one whose areas hold the report), unless anonymous, once per real
    change of state (a second "closed" with another note tells nobody) and at most
    GATEWAY_REPORTER_NOTICES_PER_DAY times a day."""
    if status not in STATUSES:
        raise StatusError(f"unknown status {status!r} (known: {', '.join(STATUSES)})")
    if note is not None and len(note) > MAX_NOTE:
        raise StatusError(f"note too long ({len(note)} characters; at most {MAX_NOTE})")
    parsed = parse_reference(reference)
    report = None
    if parsed:
        report = (await db.execute(select(Report).where(Report.reference == parsed))).scalar_one_or_none()
    if report is None:
        raise StatusError(f"no report with reference {reference!r}")
    if status == "closed" and not (note and note.strip()):
        raise StatusError("closing a report needs a --note saying what was done")
    changed = report.status != status
    first_answer = status == "acknowledged" and report.status in OPEN
    report.status = status
    db.add(ReportEvent(report_id=report.id, kind="status", status=status, note=note, actor=actor))
    told = False
    if changed and status == "closed":
        # The reporter reads it on a basic phone and pays nothing for it: a short excerpt of the
        # note; the whole note stays in the report's history.
        told = await watcher.tell_reporter(
            db, report, "sms.reporter.closed", actor, note=excerpt((note or "").strip(), NOTE_IN_SMS)
        )
    elif first_answer:
        # Said in the committee's name, never the person's: the reporter hears that their
        # committee has it, as with OK by SMS. No committee holds the place: nobody to name.
        committee = await watcher.committee_named(db, report, committee_id)
        if committee:
            told = await watcher.tell_reporter(db, report, "sms.reporter.acked", actor, committee=committee)
    return report, told
