"""An organiser moving a report along: new, forwarded, acknowledged, in progress, closed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.committees.notify import CommitteeNotifier
from gateway.reports.models import Report, ReportEvent
from gateway.reports.reference import parse_reference
from gateway.reports.service import STATUSES


class StatusError(ValueError):
    pass


async def change_status(
    db: AsyncSession, notifier: CommitteeNotifier, reference: str, status: str, note: str | None, actor: str
) -> tuple[Report, bool]:
    """Returns the report and whether its reporter was told (on closing, unless anonymous)."""
    if status not in STATUSES:
        raise StatusError(f"unknown status {status!r} (known: {', '.join(STATUSES)})")
    parsed = parse_reference(reference)
    report = None
    if parsed:
        report = (await db.execute(select(Report).where(Report.reference == parsed))).scalar_one_or_none()
    if report is None:
        raise StatusError(f"no report with reference {reference!r}")
    if status == "closed" and not (note and note.strip()):
        raise StatusError("closing a report needs a --note saying what was done")
    report.status = status
    db.add(ReportEvent(report_id=report.id, kind="status", status=status, note=note, actor=actor))
    told = False
    if status == "closed":
        told = await notifier.tell_reporter(db, report, "sms.reporter.closed", note=(note or "").strip())
    return report, told
