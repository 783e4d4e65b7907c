"""An organiser moving a report along: new, forwarded, acknowledged, in progress, closed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.committees.notify import CommitteeNotifier, excerpt
from gateway.reports.models import Report, ReportEvent
from gateway.reports.reference import parse_reference
from gateway.reports.service import STATUSES

MAX_NOTE = 500
NOTE_IN_SMS = 120


class StatusError(ValueError):
    pass


async def change_status(
    db: AsyncSession, notifier: CommitteeNotifier, reference: str, status: str, note: str | None, actor: str
) -> tuple[Report, bool]:
    """Returns the report and whether its reporter was told: on closing, unless anonymous, once
    per real change of state (a second "closed" with another note tells nobody) and at most
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
    report.status = status
    db.add(ReportEvent(report_id=report.id, kind="status", status=status, note=note, actor=actor))
    told = False
    if changed and status == "closed":
        # The reporter reads it on a basic phone and pays nothing for it: a short excerpt of the
        # note; the whole note stays in the report's history.
        told = await notifier.tell_reporter(
            db, report, "sms.reporter.closed", actor, note=excerpt((note or "").strip(), NOTE_IN_SMS)
        )
    return report, told
