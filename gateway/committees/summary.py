"""Committee summaries: counted in SQL over indexed columns, written to fit three SMS segments.

Everything a summary says adds up commune by commune, so the reports are counted per commune:
once for all the committees summarised together (the scheduler's pass), and each committee's
summary is put together from its communes' counts, never loading reports into Python."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.directory import AreaDirectory
from gateway.i18n.catalogs import Translator
from gateway.i18n.dates import day_month
from gateway.i18n.gsm7 import sms_encoding, to_gsm7
from gateway.i18n.text import fill
from gateway.reports.models import OPEN, Report, status_among

MAX_SEGMENTS = 3
TOP_PLACES = 3
TOP_REFERENCES = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


@dataclass(frozen=True)
class OpenReport:
    """A candidate for a summary's references, with what orders them: urgent first, newest first."""

    urgent: bool
    created_at: datetime
    reference: str

    def order(self) -> tuple[bool, timedelta, str]:
        # Newest first as an exact key (a float timestamp would round microseconds away); the
        # reference breaks ties as count_places does in SQL, so both keep the same three.
        return (not self.urgent, _EPOCH - self.created_at, self.reference)


@dataclass
class PlaceCounts:
    """What one pass over the reports found, commune by commune, for a period and the one before:
    enough to write the summary of any committee covering some of these communes."""

    communes: frozenset[int]
    start: datetime
    end: datetime
    topics: dict[int, Counter[str]] = field(default_factory=dict)  # commune -> topic -> reports
    previous: Counter[int] = field(default_factory=Counter)
    urgent_open: Counter[int] = field(default_factory=Counter)
    # Each commune's first TOP_REFERENCES open reports: a committee's first ones are among its
    # communes' first ones.
    open_reports: dict[int, list[OpenReport]] = field(default_factory=dict)

    def covers(self, communes: set[int], start: datetime, end: datetime) -> bool:
        return start == self.start and end == self.end and communes <= self.communes


async def count_places(db: AsyncSession, communes: set[int], start: datetime, end: datetime) -> PlaceCounts:
    """Three queries whatever the number of communes: per commune, the reports of the period before;
    per commune and topic, the reports of the period and the urgent ones still open; and each
    commune's first open reports."""
    counts = PlaceCounts(frozenset(communes), start, end)
    if not communes:
        return counts
    in_area = Report.area_id.in_(sorted(communes))
    # By when a report reached its place, not when it was made: one placed late (its sender said
    # where afterwards, an organiser corrected it) is in the next summary, not lost before it.
    period = (in_area, Report.placed_at >= start, Report.placed_at < end)
    still_open = Report.status.in_(OPEN)
    # The period before in a query of its own: the (area_id, placed_at) index can answer it without
    # the rows (SQLite always, PostgreSQL where pages are all-visible); the period needs the rows.
    previous = await db.execute(
        select(Report.area_id, func.count())
        .where(in_area, Report.placed_at >= start - (end - start), Report.placed_at < start)
        .group_by(Report.area_id)
    )
    for area_id, count in previous:
        assert area_id is not None  # the IN filter keeps reports without a place out
        counts.previous[area_id] = count
    rows = await db.execute(
        select(
            Report.area_id,
            Report.topic,
            func.count(),
            func.count().filter(Report.urgency == "urgent", still_open),
        )
        .where(*period)
        .group_by(Report.area_id, Report.topic)
    )
    for area_id, topic, count, urgent_open in rows:
        assert area_id is not None
        counts.topics.setdefault(area_id, Counter())[topic] += count
        counts.urgent_open[area_id] += urgent_open
    urgent_first = case((Report.urgency == "urgent", 0), else_=1)
    ranked = (
        select(
            Report.area_id,
            Report.urgency,
            Report.created_at,
            Report.reference,
            func.row_number()
            .over(
                partition_by=Report.area_id,
                order_by=(urgent_first, Report.created_at.desc(), Report.reference),
            )
            .label("rank"),
        )
        .where(*period, status_among(*OPEN))
        .subquery()
    )
    first = await db.execute(
        select(ranked.c.area_id, ranked.c.urgency, ranked.c.created_at, ranked.c.reference).where(
            ranked.c.rank <= TOP_REFERENCES
        )
    )
    for area_id, urgency, created_at, reference in first:
        assert area_id is not None
        counts.open_reports.setdefault(area_id, []).append(
            OpenReport(urgency == "urgent", created_at, reference)
        )
    return counts


def summary_from(
    counts: PlaceCounts,
    committee: str,
    communes: set[int],
    directory: AreaDirectory,
    min_place_reports: int,
) -> Summary:
    """A committee's summary from its communes' counts (`counts` must cover them: PlaceCounts.covers)."""
    topics: Counter[str] = Counter()
    per_area: list[tuple[int, int]] = []
    candidates: list[OpenReport] = []
    previous = urgent_open = 0
    for area_id in communes:
        by_topic = counts.topics.get(area_id)
        if by_topic:
            topics.update(by_topic)
            per_area.append((area_id, by_topic.total()))
        previous += counts.previous[area_id]
        urgent_open += counts.urgent_open[area_id]
        candidates.extend(counts.open_reports.get(area_id, ()))
    candidates.sort(key=OpenReport.order)
    summary = Summary(
        committee,
        counts.start,
        counts.end,
        topics.total(),
        previous,
        # Most first; ties in a fixed order, so the same reports always give the same text.
        by_topic=sorted(topics.items(), key=lambda item: (-item[1], item[0])),
        urgent_open=urgent_open,
        references=[r.reference for r in candidates[:TOP_REFERENCES]],
    )

    def most_first(item: tuple[int, int]) -> tuple[int, str, int]:
        place = directory.get(item[0])
        return (-item[1], place.name if place else "", item[0])

    for area_id, count in sorted(per_area, key=most_first):
        place = directory.get(area_id)
        # A place with only one or two reports could point to the person who sent them.
        if place is None or count < min_place_reports or len(summary.places) >= TOP_PLACES:
            summary.other_places += count
        else:
            summary.places.append((place.name, count))
    return summary


async def compute_summary(
    db: AsyncSession,
    committee: str,
    communes: set[int],
    start: datetime,
    end: datetime,
    directory: AreaDirectory,
    min_place_reports: int,
) -> Summary:
    """One committee's summary, counted for it alone."""
    if not communes:
        return Summary(committee, start, end, 0, 0)
    counts = await count_places(db, communes, start, end)
    return summary_from(counts, committee, communes, directory, min_place_reports)


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
