"""What the console's overview counts: reports per week, by topic, by commune and by language over
the last weeks, and the urgent reports nobody has taken up yet; within the communes a reader may
see. The one place these are counted, so a JSON route would serve the same numbers."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, TextClause, func, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.reports.models import URGENT_OPEN, Report

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
    """The weeks' counts per reach, kept `ttl` seconds. Counting 12 weeks of a busy border takes a
    whole pass over them (close to a second for 1,000,000 reports on a small server): a page read
    again and again within a minute reuses it. The urgent reports are always read afresh."""

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
    """One pass over the weeks' reports grouped by topic, commune and language with a count per
    week: the other groupings are sums of its rows."""
    starts = week_starts(now)
    counts = Overview(start=starts[0], end=now)
    bounds = [*starts[1:], None]
    in_reach = _within(communes)
    per_week = [
        func.count().filter(Report.created_at >= start, Report.created_at < end)
        if end is not None
        else func.count().filter(Report.created_at >= start)
        for start, end in zip(starts, bounds, strict=True)
    ]
    rows = await db.execute(
        select(Report.topic, Report.area_id, Report.language, *per_week)
        .where(in_reach, Report.created_at >= starts[0])
        .group_by(Report.topic, Report.area_id, Report.language)
    )
    weeks = [0] * len(starts)
    topics: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    places: Counter[int | None] = Counter()
    for topic, area_id, language, *by_week in rows:
        n = sum(by_week)
        for i, count in enumerate(by_week):
            weeks[i] += count
        topics[topic] += n
        languages[language] += n
        places[area_id] += n
    counts.weeks = list(zip(starts, weeks, strict=True))
    counts.total = sum(weeks)
    # Most first, ties in a fixed order, so the same reports always draw the same page.
    counts.by_topic = sorted(topics.items(), key=lambda item: (-item[1], item[0]))
    counts.by_language = sorted(languages.items(), key=lambda item: (-item[1], item[0]))
    ranked = sorted(places.items(), key=lambda item: (-item[1], item[0] is None, item[0] or 0))
    counts.by_commune = ranked[:TOP_COMMUNES]
    counts.other_communes = sum(n for _, n in ranked[TOP_COMMUNES:])
    return counts


async def _add_urgent(db: AsyncSession, communes: set[int] | None, counts: Overview) -> None:
    """How many urgent reports are still open (at any date), and the newest of them."""
    in_reach = _within(communes)
    counts.urgent_open = (
        await db.execute(select(func.count()).select_from(Report).where(in_reach, _urgent_open()))
    ).scalar_one()
    if counts.urgent_open:
        newest = await db.execute(
            select(Report.reference, Report.created_at, Report.topic, Report.area_id, Report.status)
            .where(in_reach, _urgent_open())
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(URGENT_SHOWN)
        )
        counts.urgent = [UrgentReport(*row) for row in newest]
