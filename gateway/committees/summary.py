"""Committee summaries: counted in SQL over indexed columns, written to fit three SMS segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.directory import AreaDirectory
from gateway.i18n.catalogs import Translator
from gateway.i18n.dates import day_month
from gateway.i18n.gsm7 import sms_encoding, to_gsm7
from gateway.i18n.text import fill
from gateway.reports.models import Report

MAX_SEGMENTS = 3
TOP_PLACES = 3
TOP_REFERENCES = 3
OPEN = ("new", "forwarded")


@dataclass
class Summary:
    committee: str
    start: datetime
    end: datetime
    total: int
    previous: int
    by_topic: list[tuple[str, int]] = field(default_factory=list)
    places: list[tuple[str, int]] = field(default_factory=list)
    other_places: int = 0  # reports from places under the threshold, grouped
    urgent_open: int = 0
    references: list[str] = field(default_factory=list)


async def compute_summary(
    db: AsyncSession,
    committee: str,
    communes: set[int],
    start: datetime,
    end: datetime,
    directory: AreaDirectory,
    min_place_reports: int,
) -> Summary:
    if not communes:
        return Summary(committee, start, end, 0, 0)
    in_area = Report.area_id.in_(sorted(communes))
    # By when a report reached its place, not when it was made: one placed late (its sender said
    # where afterwards, an organiser corrected it) is in the next summary, not lost before it.
    period = (in_area, Report.placed_at >= start, Report.placed_at < end)
    previous = (
        await db.execute(
            select(func.count()).where(
                in_area, Report.placed_at >= start - (end - start), Report.placed_at < start
            )
        )
    ).scalar_one()
    topics = (
        await db.execute(
            select(Report.topic, func.count())
            .where(*period)
            .group_by(Report.topic)
            .order_by(func.count().desc())
        )
    ).all()
    per_area = (
        await db.execute(
            select(Report.area_id, func.count())
            .where(*period)
            .group_by(Report.area_id)
            .order_by(func.count().desc())
        )
    ).all()
    urgent_open = (
        await db.execute(
            select(func.count()).where(*period, Report.urgency == "urgent", Report.status.in_(OPEN))
        )
    ).scalar_one()
    urgent_first = case((Report.urgency == "urgent", 0), else_=1)
    references = (
        (
            await db.execute(
                select(Report.reference)
                .where(*period, Report.status.in_(OPEN))
                .order_by(urgent_first, Report.created_at.desc())
                .limit(TOP_REFERENCES)
            )
        )
        .scalars()
        .all()
    )
    summary = Summary(
        committee,
        start,
        end,
        sum(n for _, n in topics),
        previous,
        by_topic=[(t, n) for t, n in topics],
        urgent_open=urgent_open,
        references=list(references),
    )
    for area_id, count in per_area:
        place = directory.get(area_id)
        # A place with only one or two reports could point to the person who sent them.
        if place is None or count < min_place_reports or len(summary.places) >= TOP_PLACES:
            summary.other_places += count
        else:
            summary.places.append((place.name, count))
    return summary


def render_summary(
    summary: Summary, tr: Translator, language: str, locales_dir: Path, gsm7: bool = True
) -> str:
    """The summary text, its parts kept in priority order while the whole fits 3 segments."""
    start = day_month(summary.start.date(), language, locales_dir)
    end = day_month(summary.end.date(), language, locales_dir)
    if summary.total == 0:
        return fill(tr.gettext("digest.none"), {"committee": summary.committee, "start": start, "end": end})
    change = summary.total - summary.previous
    values = {
        "committee": summary.committee,
        "start": start,
        "end": end,
        "total": str(summary.total),
        "change": f"+{change}" if change > 0 else str(change) if change < 0 else tr.gettext("digest.same"),
    }
    parts = [fill(tr.ngettext("digest.header", "digest.header", summary.total), values)]
    optional: list[tuple[str, list[str]]] = []
    if summary.urgent_open:
        optional.append(("digest.urgent", [str(summary.urgent_open)]))
    optional.append(("digest.topics", [f"{tr.gettext(f'topic_short.{t}')} {n}" for t, n in summary.by_topic]))
    places = [f"{name} {n}" for name, n in summary.places]
    if summary.other_places:
        places.append(fill(tr.gettext("digest.other_places"), {"n": str(summary.other_places)}))
    if places:
        optional.append(("digest.places", places))
    if summary.references:
        optional.append(("digest.refs", list(summary.references)))
    for msgid, items in optional:
        # Whole items only, the least important last; never a word cut in half.
        for keep in range(len(items), 0, -1):
            part = fill(tr.gettext(msgid), {"n": items[0], "items": ", ".join(items[:keep])})
            if _fits(" ".join([*parts, part]), language, gsm7):
                parts.append(part)
                break
    return " ".join(parts)


def _fits(text: str, language: str, gsm7: bool) -> bool:
    return sms_encoding(to_gsm7(text, language) if gsm7 else text).segments <= MAX_SEGMENTS
