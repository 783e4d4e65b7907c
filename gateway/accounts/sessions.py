"""Console sessions: opened at sign-in under a new id, ended by sign-out, by idleness or by age."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.models import ConsoleSession, User
from gateway.accounts.people import Person
from gateway.accounts.secret_tokens import SESSION_PREFIX, new_token, session_digest
from gateway.db.base import rows_changed

# last_seen_at is written at most this often: a page view is a read, not a write, most of the time.
TOUCH_EVERY = timedelta(seconds=60)


async def open_session(db: AsyncSession, user: User, now: datetime, replaces: str | None = None) -> str:
    """A new session id for `user` (returned once, for the cookie). Whatever session the browser
    had before is ended: an id someone planted before sign-in is worth nothing after it."""
    if replaces:
        await close_session(db, replaces)
    token = new_token(SESSION_PREFIX)
    db.add(
        ConsoleSession(token_hash=session_digest(token), user_id=user.id, created_at=now, last_seen_at=now)
    )
    await db.flush()
    return token


async def close_session(db: AsyncSession, token: str) -> None:
    await db.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == session_digest(token)))


async def session_person(
    db: AsyncSession, token: str | None, now: datetime, *, idle: timedelta, absolute: timedelta
) -> Person | None:
    """Who the session cookie signs in, or None: unknown, idle too long, too old, or its account
    disabled. A session found dead is deleted on the way."""
    if not token or not token.startswith(SESSION_PREFIX) or len(token) > 100:
        return None
    row = (
        await db.execute(
            select(ConsoleSession, User)
            .join(User, User.id == ConsoleSession.user_id)
            .where(ConsoleSession.token_hash == session_digest(token))
        )
    ).first()
    if row is None:
        return None
    session, user = row[0], row[1]
    if not user.active or now - session.last_seen_at > idle or now - session.created_at > absolute:
        await db.execute(delete(ConsoleSession).where(ConsoleSession.id == session.id))
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        await db.execute(
            update(ConsoleSession).where(ConsoleSession.id == session.id).values(last_seen_at=now)
        )
    return Person(user.id, user.name, user.role, user.committee_id, session.id)


async def expire_sessions(db: AsyncSession, now: datetime, *, idle: timedelta, absolute: timedelta) -> int:
    """Sessions past their idle or absolute limit, deleted: a browser left signed in and never used
    again would otherwise keep its row for ever (session_person deletes only those it meets)."""
    result = await db.execute(
        delete(ConsoleSession).where(
            (ConsoleSession.last_seen_at < now - idle) | (ConsoleSession.created_at < now - absolute)
        )
    )
    return rows_changed(result)


async def end_sessions_of(db: AsyncSession, user_id: int) -> None:
    """Every browser of an account signed out (an account disabled, a password changed)."""
    await db.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))


async def forget_expired(
    db: AsyncSession, user_id: int, now: datetime, *, idle: timedelta, absolute: timedelta
) -> None:
    # Sessions nobody came back to are removed at the account's next sign-in.
    await db.execute(
        delete(ConsoleSession).where(
            ConsoleSession.user_id == user_id,
            (ConsoleSession.last_seen_at < now - idle) | (ConsoleSession.created_at < now - absolute),
        )
    )
