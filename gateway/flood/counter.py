"""Flood control: how many new sessions one number opened in the last minute."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.base import rows_changed, utcnow
from gateway.flood.models import FloodMark
from gateway.security.pseudonyms import Pseudonyms

WINDOW = timedelta(minutes=1)


class FloodCounter:
    def __init__(self, pseudonyms: Pseudonyms, scope: str, per_minute: int) -> None:
        self.pseudonyms = pseudonyms
        self.scope = scope
        self.per_minute = per_minute

    def key(self, phone: str, now: datetime) -> str:
        """The mark `phone` leaves today (the lean USSD hop writes it with the driver)."""
        return self.pseudonyms.flood_key(self.scope, phone, now.date())

    def over(self, recent: int) -> bool:
        """Whether a number with `recent` marks in the window has reached the limit."""
        return recent >= self.per_minute

    async def hit(self, db: AsyncSession, phone: str, now: datetime | None = None) -> bool:
        """Counts one more from `phone`; True when it had already reached the limit this minute."""
        now = now or utcnow()
        key = self.key(phone, now)
        await expire(db, now)
        recent = (
            await db.execute(select(func.count()).where(FloodMark.key == key, FloodMark.at >= now - WINDOW))
        ).scalar_one()
        db.add(FloodMark(key=key, at=now))
        return self.over(int(recent))


async def expire(db: AsyncSession, now: datetime | None = None) -> int:
    """Marks older than the window are deleted: they have counted all they will."""
    result = await db.execute(delete(FloodMark).where(FloodMark.at < (now or utcnow()) - WINDOW))
    return rows_changed(result)
