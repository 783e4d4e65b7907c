"""Where callers leave: sessions by language and last screen, with how they ended; per screen, how
many callers left there unfinished; per language, how many screens a report took.

Only what an ended session keeps is read (language, last screen, outcome, hop count: privacy.py),
so these counts need no path through the screens: a session's last screen is where it stopped,
and its hop count is how many screens it was shown."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.ussd.models import UssdSession

# How a session ends when the caller went away: still open (the provider's end of session, or the
# sweep, not come yet), closed idle by the sweep, or dropped for a fresh start on the next dial.
# "resumed" is not among them: that caller went on in the next session.
UNFINISHED = ("open", "dropped", "abandoned")
REPORTED = "reported"


@dataclass(frozen=True)
class DropOff:
    language: str
    screen: str
    outcome: str
    end_status: str
    sessions: int


@dataclass(frozen=True)
class ScreenDropOff:
    """Callers of one language who left on one screen without finishing."""

    language: str
    screen: str
    left: int
    # Of all the sessions in that language, the share that left here (0..1).
    share: float


@dataclass(frozen=True)
class ScreensToReport:
    """Per language: sessions, reports sent, and the screens (hops, the dial and the reference
    screen included) each report took. A report resumed after a drop counts its last session's."""

    language: str
    sessions: int
    reported: int
    median_screens: float | None
    most_screens: int | None


async def drop_off(session: AsyncSession, since: datetime | None = None) -> list[DropOff]:
    language = func.coalesce(UssdSession.language, "-")
    outcome = func.coalesce(UssdSession.outcome, "open")
    end_status = func.coalesce(UssdSession.end_status, "-")
    query = (
        select(language, UssdSession.last_screen, outcome, end_status, func.count())
        .group_by(language, UssdSession.last_screen, outcome, end_status)
        .order_by(func.count().desc())
    )
    if since is not None:
        query = query.where(UssdSession.started_at >= since)
    rows = await session.execute(query)
    return [DropOff(r[0], r[1] or "-", r[2], r[3], r[4]) for r in rows]


async def screen_drop_off(session: AsyncSession, since: datetime | None = None) -> list[ScreenDropOff]:
    """Per language and screen, the callers who left there unfinished, most first."""
    rows = await drop_off(session, since)
    totals: dict[str, int] = defaultdict(int)
    left: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        totals[row.language] += row.sessions
        if row.outcome in UNFINISHED:
            left[(row.language, row.screen)] += row.sessions
    out = [
        ScreenDropOff(language, screen, count, count / totals[language])
        for (language, screen), count in left.items()
    ]
    return sorted(out, key=lambda r: (r.language, -r.left, r.screen))


async def screens_to_report(session: AsyncSession, since: datetime | None = None) -> list[ScreensToReport]:
    language = func.coalesce(UssdSession.language, "-")
    query = select(language, UssdSession.outcome, UssdSession.hops)
    if since is not None:
        query = query.where(UssdSession.started_at >= since)
    sessions: dict[str, int] = defaultdict(int)
    hops: dict[str, list[int]] = defaultdict(list)
    for lang, outcome, count in await session.execute(query):
        sessions[lang] += 1
        if outcome == REPORTED:
            hops[lang].append(count)
    return [
        ScreensToReport(
            lang,
            sessions[lang],
            len(hops[lang]),
            median(hops[lang]) if hops[lang] else None,
            max(hops[lang]) if hops[lang] else None,
        )
        for lang in sorted(sessions)
    ]
