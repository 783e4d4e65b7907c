"""The provider's end-of-session report: how each session ended, for drop-off counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.base import floor_hour, utcnow
from gateway.security.pseudonyms import Pseudonyms
from gateway.ussd.models import UssdSession
from gateway.ussd.sessions import session_row, session_row_or_new


@dataclass(frozen=True)
class SessionEnded:
    provider: str
    session_id: str
    status: str  # the provider's word for how it ended (kept for drop-off counts)
    duration_ms: int | None = None
    cost: str | None = None
    error_message: str | None = None
    service_code: str = ""
    network_code: str = ""


async def record_session_end(db: AsyncSession, pseudonyms: Pseudonyms, event: SessionEnded) -> UssdSession:
    """The session's row; one is made for a session never seen (it failed before reaching us)."""
    row = await session_row(db, pseudonyms, event.session_id)
    if row is None:
        row = await session_row_or_new(
            db,
            pseudonyms,
            session_id=event.session_id,
            provider=event.provider,
            service_code=event.service_code,
            network_code=event.network_code,
        )
    row.end_status = event.status
    # The hour only, as for every ended session: the exact end would match a report's time.
    row.end_reported_at = floor_hour(utcnow())
    row.duration_ms = event.duration_ms
    row.cost = event.cost
    row.error_message = event.error_message
    return row
