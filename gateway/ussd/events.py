"""The provider's end-of-session report: how each session ended, for drop-off counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.base import floor_hour, utcnow
from gateway.security.pseudonyms import Pseudonyms
from gateway.ussd.models import UssdSession
from gateway.ussd.privacy import session_row

END_STATUSES = ("Success", "Incomplete", "Failed")


@dataclass(frozen=True)
class SessionEnded:
    provider: str
    session_id: str
    status: str  # one of END_STATUSES
    duration_ms: int | None = None
    cost: str | None = None
    error_message: str | None = None
    service_code: str = ""
    network_code: str = ""


async def record_session_end(db: AsyncSession, pseudonyms: Pseudonyms, event: SessionEnded) -> UssdSession:
    """The session's row; one is made for a session never seen (it failed before reaching us)."""
    row = await session_row(db, pseudonyms, event.session_id)
    if row is None:
        row = UssdSession(
            session_id=event.session_id,
            provider=event.provider,
            service_code=event.service_code[:64],
            network_code=event.network_code[:16],
            phone_hash="",
            state={},
            last_text="",
            last_response="",
            hops=0,
        )
        try:
            async with db.begin_nested():
                db.add(row)
        except IntegrityError:
            return await record_session_end(db, pseudonyms, event)
    row.end_status = event.status
    # The hour only, as for every ended session: the exact end would match a report's time.
    row.end_reported_at = floor_hour(utcnow())
    row.duration_ms = event.duration_ms
    row.cost = event.cost
    row.error_message = event.error_message
    return row
