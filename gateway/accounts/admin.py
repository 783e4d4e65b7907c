"""What an operator does to accounts from the server's command line: list, disable, enable, unlock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.models import User
from gateway.accounts.people import masked_login
from gateway.accounts.sessions import end_sessions_of


@dataclass(frozen=True)
class AccountLine:
    id: int
    name: str
    login: str  # masked: the list may be read over someone's shoulder
    role: str
    committee_id: int | None
    active: bool
    locked_until: datetime | None
    last_signin_at: datetime | None


async def list_accounts(db: AsyncSession) -> list[AccountLine]:
    users = (await db.execute(select(User).order_by(User.id))).scalars()
    return [
        AccountLine(
            u.id,
            u.name,
            masked_login(u.login),
            u.role,
            u.committee_id,
            u.active,
            u.locked_until,
            u.last_signin_at,
        )
        for u in users
    ]


async def set_active(db: AsyncSession, user_id: int, active: bool) -> User:
    """Disabling signs the account out everywhere at once; enabling lets it sign in again."""
    user = await _user(db, user_id)
    user.active = active
    if not active:
        await end_sessions_of(db, user_id)
    return user


async def unlock(db: AsyncSession, user_id: int) -> User:
    """Before the lockout ends by itself: the person is known and has been told to try again."""
    user = await _user(db, user_id)
    user.failed_attempts = 0
    user.locked_until = None
    return user


async def _user(db: AsyncSession, user_id: int) -> User:
    user = await db.get(User, user_id)
    if user is None:
        raise ValueError(f"no account with id {user_id} (gateway accounts list)")
    return user
