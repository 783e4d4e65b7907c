"""Where callers leave: sessions by language and last screen, with how they ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.ussd.models import UssdSession


@dataclass(frozen=True)
class DropOff:
    language: str
    screen: str
    outcome: str
    end_status: str
    sessions: int


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
