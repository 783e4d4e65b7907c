"""What the console's overview counts: reports per week, by topic, by commune and by language over
the last weeks, and the urgent reports nobody has taken up yet; within the communes a reader may
see. The one place these are counted, so a JSON route would serve the same numbers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, TextClause, bindparam, func, select, text, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.reports.models import URGENT_OPEN, Report, ReportWeekCount, ReportWeekMove

WEEKS = 12
TOP_COMMUNES = 15
URGENT_SHOWN = 20


@dataclass(frozen=True)
class UrgentReport:
    reference: str
    created_at: datetime
    topic: str
    area_id: int | None
    status: str


@dataclass
class Overview:
    """Counts over [start, end): `weeks` starts on each week's Monday (UTC), oldest first."""

    start: datetime
    end: datetime
    weeks: list[tuple[datetime, int]] = field(default_factory=list)
    by_topic: list[tuple[str, int]] = field(default_factory=list)
    by_language: list[tuple[str, int]] = field(default_factory=list)
    # Most first; None is the reports that have no place yet.
    by_commune: list[tuple[int | None, int]] = field(default_factory=list)
    other_communes: int = 0  # the reports of the communes past the first TOP_COMMUNES
    # Every commune's count, not only the first TOP_COMMUNES: the overview's map shades them all.
    per_commune: dict[int | None, int] = field(default_factory=dict)
    total: int = 0
    urgent_open: int = 0
    urgent: list[UrgentReport] = field(default_factory=list)


def week_starts(now: datetime, weeks: int = WEEKS) -> list[datetime]:
    """The Mondays 00:00 of the last `weeks` weeks, this one last (in now's time zone)."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _within(communes: set[int] | None) -> ColumnElement[bool]:
    # None is everywhere, placeless reports included; a committee never sees a placeless one.
    if communes is None:
        return true()
    return Report.area_id.in_(sorted(communes) or [-1])


def _urgent_open() -> TextClause:
    # As text, the partial index's own predicate: PostgreSQL uses the index whatever the plan.
    return text(URGENT_OPEN)


class CountsCache:
    """The weeks' counts per reach, kept `ttl` seconds: a page read again and again within a minute
    reuses them. Since the counts are kept by the database (count_weeks), reading them afresh costs
    tens of milliseconds, not a pass over the reports; the cache only spares that. The urgent
    reports are always read afresh."""

    def __init__(self, ttl: float = 60.0, size: int = 256) -> None:
        self.ttl, self.size = ttl, size
        self._entries: dict[tuple[frozenset[int] | None, datetime], tuple[float, Overview]] = {}

    async def counts(self, db: AsyncSession, communes: set[int] | None, now: datetime) -> Overview:
        key = (frozenset(communes) if communes is not None else None, week_starts(now)[0])
        kept = self._entries.get(key)
        if kept is not None and time.monotonic() - kept[0] < self.ttl:
            return replace(kept[1])
        counts = await count_weeks(db, communes, now)
        if len(self._entries) >= self.size:
            self._entries.pop(next(iter(self._entries)))  # the oldest put in
        self._entries[key] = (time.monotonic(), counts)
        return replace(counts)


async def overview(
    db: AsyncSession, communes: set[int] | None, now: datetime, cache: CountsCache | None = None
) -> Overview:
    """The weeks' counts (from `cache` when it has them fresh) and the urgent reports still open."""
    counts = await (cache.counts(db, communes, now) if cache else count_weeks(db, communes, now))
    await _add_urgent(db, communes, counts)
    return counts


async def count_weeks(db: AsyncSession, communes: set[int] | None, now: datetime) -> Overview:
    """The weeks' reports per week, topic, commune and language, from the counts the database keeps
    as reports change (ReportWeekCount plus the moves not folded in yet, ReportWeekMove; migrations
    0016 and 0019): sums over at most weeks x topics x communes x languages rows however many
    reports there are, each grouping summed by the database so only their few totals come back."""
    starts = week_starts(now.astimezone(UTC))
    counts = Overview(start=starts[0], end=now)
    since = starts[0].date()

    def rows_of(table: type[ReportWeekCount] | type[ReportWeekMove]) -> Any:
        in_reach = true() if communes is None else table.area_key.in_(sorted(communes) or [-1])
        return select(table.week, table.topic, table.area_key, table.language, table.reports).where(
            in_reach, table.week >= since
        )

    kept = union_all(rows_of(ReportWeekCount), rows_of(ReportWeekMove)).subquery()

    async def total_by(column: Any) -> dict[Any, int]:
        rows = await db.execute(select(column, func.sum(kept.c.reports)).group_by(column))
        # A group whose every report moved elsewhere or was deleted sums to 0.
        return {key: int(n) for key, n in rows if n}

    by_week = await total_by(kept.c.week)
    weeks = [by_week.get(start.date(), 0) for start in starts]
    topics = await total_by(kept.c.topic)
    languages = await total_by(kept.c.language)
    places = {area_key or None: n for area_key, n in (await total_by(kept.c.area_key)).items()}  # 0: no place
    counts.weeks = list(zip(starts, weeks, strict=True))
    counts.total = sum(weeks)
    # Most first, ties in a fixed order, so the same reports always draw the same page.
    counts.by_topic = sorted(topics.items(), key=lambda item: (-item[1], item[0]))
    counts.by_language = sorted(languages.items(), key=lambda item: (-item[1], item[0]))
    ranked = sorted(places.items(), key=lambda item: (-item[1], item[0] is None, item[0] or 0))
    counts.by_commune = ranked[:TOP_COMMUNES]
    counts.other_communes = sum(n for _, n in ranked[TOP_COMMUNES:])
    counts.per_commune = dict(places)
    return counts


async def _add_urgent(db: AsyncSession, communes: set[int] | None, counts: Overview) -> None:
    """How many urgent reports are still open (at any date), and the newest of them."""
    in_reach = _within(communes)
    counts.urgent_open = await _count_urgent_open(db, communes)
    if counts.urgent_open:
        newest = await db.execute(
            select(Report.reference, Report.created_at, Report.topic, Report.area_id, Report.status)
            .where(in_reach, _urgent_open())
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(URGENT_SHOWN)
        )
        counts.urgent = [UrgentReport(*row) for row in newest]


async def _count_urgent_open(db: AsyncSession, communes: set[int] | None) -> int:
    if db.get_bind().dialect.name != "sqlite":
        query = select(func.count()).select_from(Report).where(_within(communes), _urgent_open())
        return int((await db.execute(query)).scalar_one())
    # SQLite's planner picks ix_reports_status_created for "status IN (…)" and reads every new or
    # forwarded report to find the urgent ones (3 s for 1,000,000 reports); the partial index holds
    # only the urgent open ones. SQLAlchemy writes no INDEXED BY, so the statement is written here.
    sql = f"SELECT count(*) FROM reports INDEXED BY ix_reports_urgent_open WHERE {URGENT_OPEN}"
    if communes is None:
        return int((await db.execute(text(sql))).scalar_one())
    scoped = text(sql + " AND area_id IN :areas").bindparams(bindparam("areas", expanding=True))
    return int((await db.execute(scoped, {"areas": sorted(communes) or [-1]})).scalar_one())
