"""The provider's end-of-session report: how each session ended, for drop-off counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.base import utcnow
from gateway.ussd.models import UssdSession

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


async def record_session_end(db: AsyncSession, event: SessionEnded) -> UssdSession:
    """The session's row; one is made for a session never seen (it failed before reaching us)."""
    result = await db.execute(
        select(UssdSession).where(UssdSession.session_id == event.session_id).with_for_update()
    )
    row = result.scalar_one_or_none()
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
            return await record_session_end(db, event)
    row.end_status = event.status
    row.end_reported_at = utcnow()
    row.duration_ms = event.duration_ms
    row.cost = event.cost
    row.error_message = event.error_message
    return row
