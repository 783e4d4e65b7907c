"""Finding and making a session's row: by the provider's session id, kept as given or (once its
session produced an anonymous report) as a keyed digest of it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.security.pseudonyms import Pseudonyms
from gateway.ussd.models import UssdSession


async def session_row(db: AsyncSession, pseudonyms: Pseudonyms, session_id: str) -> UssdSession | None:
    """The session's row, locked for this hop, whether its id is kept as given or as a digest."""
    keys = (session_id, pseudonyms.session_id(session_id))
    result = await db.execute(select(UssdSession).where(UssdSession.session_id.in_(keys)).with_for_update())
    return result.scalar_one_or_none()


async def session_row_or_new(
    db: AsyncSession,
    pseudonyms: Pseudonyms,
    *,
    session_id: str,
    provider: str,
    service_code: str = "",
    network_code: str = "",
    phone_hash: str = "",
) -> UssdSession:
    """The session's row, made now if it is new; a row another process made meanwhile is locked
    and returned instead (the session id is unique)."""
    row = UssdSession(
        session_id=session_id,
        provider=provider,
        service_code=service_code[:64],
        network_code=network_code[:16],
        phone_hash=phone_hash,
        state={},
        last_text="",
        last_response="",
        hops=0,
    )
    try:
        async with db.begin_nested():
            db.add(row)
    except IntegrityError:
        existing = await session_row(db, pseudonyms, session_id)
        assert existing is not None
        return existing
    return row
