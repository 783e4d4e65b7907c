"""Where an SMS speaks of: the commune of a report, of an answer to "where?", of AVIS."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.directory import CachedDirectory, Place
from gateway.areas.matching import PlaceMatch, PlaceMatcher, matcher_for
from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.reports.models import Report
from gateway.security.phone import region_of

# How long after "where did it happen?" a short reply is still read as the answer.
ANSWER_WINDOW = timedelta(days=1)
# A reply this short is the place itself ("Zégoua"), not a report that happens to name one.
ANSWER_WORDS = 3


class SmsPlaces:
    """The commune matcher for the current area directory (the USSD typed commune's own)."""

    def __init__(self, directory: CachedDirectory) -> None:
        self.directory = directory

    async def matcher(self, db: AsyncSession) -> PlaceMatcher:
        return matcher_for(await self.directory.get(db))

    async def find(
        self, db: AsyncSession, text: str, phone: str, contact: Contact, *, whole: bool
    ) -> PlaceMatch:
        """The commune in `text`, a shared name settled by the sender's country and usual commune."""
        matcher = await self.matcher(db)
        return matcher.find(text, whole=whole, country=region_of(phone), near=contact.home_area_id)

    async def describe(self, db: AsyncSession, place: Place) -> str:
        return (await self.matcher(db)).describe(place)

    async def options(self, db: AsyncSession, match: PlaceMatch, prefix: str = "") -> str:
        matcher = await self.matcher(db)
        return " / ".join(f"{prefix}{matcher.describe(p)}" for p in match.candidates)

    @staticmethod
    async def awaiting_answer(db: AsyncSession, contact: Contact) -> Report | None:
        """The sender's latest report we asked "where?" about and still have no sure place for."""
        result = await db.execute(
            select(Report)
            .where(
                Report.contact_id == contact.id,
                Report.place_asked_at >= utcnow() - ANSWER_WINDOW,
                or_(Report.area_id.is_(None), Report.place_confirmed.is_(False)),
            )
            .order_by(Report.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()
