"""Giving a report its place or topic after it was made: its sender answering "where?", or an
organiser or committee fixing it. Each change is an event in the report's history, and a new
place routes the report as if it had been placed at once (alerts now, the next summary)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.directory import AreaDirectory
from gateway.areas.importer import LEVEL_COMMUNE
from gateway.db.base import utcnow
from gateway.reports.models import Report, ReportEvent
from gateway.reports.service import TOPICS
from gateway.reports.status import ReportWatcher


class CorrectionError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


async def place_report(
    db: AsyncSession,
    watcher: ReportWatcher,
    directory: AreaDirectory,
    report: Report,
    area_id: int,
    actor: str,
) -> bool:
    """Returns whether anything changed. Only a commune can be a report's place."""
    place = directory.get(area_id)
    if place is None or place.level != LEVEL_COMMUNE:
        raise CorrectionError("a report's place is a commune", "place")
    if report.area_id == area_id and report.place_confirmed:
        return False
    previous = report.area_id
    before = directory.get(previous)
    report.area_id, report.place_confirmed = area_id, True
    if previous != area_id:
        # Counted from now in summaries (by placed_at): not lost in a period already summarised.
        report.placed_at = utcnow()
    db.add(
        ReportEvent(
            report_id=report.id,
            kind="place",
            note=f"{before.name if before else '-'} -> {place.name}",
            actor=actor,
        )
    )
    await watcher.place_changed(db, report, previous)
    return True


def set_topic(db: AsyncSession, report: Report, topic: str, actor: str) -> bool:
    if topic not in TOPICS:
        raise CorrectionError(f"unknown topic {topic!r} (known: {', '.join(TOPICS)})", "topic")
    if report.topic == topic:
        return False
    db.add(ReportEvent(report_id=report.id, kind="topic", note=f"{report.topic} -> {topic}", actor=actor))
    report.topic = topic
    return True
