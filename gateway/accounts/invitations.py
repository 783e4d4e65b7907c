"""Invitations: a one-time link an organiser sends; whoever opens it in time chooses a login and a
password, once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.models import Invitation, User
from gateway.accounts.passwords import Passwords, password_problem
from gateway.accounts.people import (
    MAX_LOGIN,
    MAX_NAME,
    AccountError,
    check_role,
    clean_name,
    normal_login,
)
from gateway.accounts.secret_tokens import INVITATION_PREFIX, TokenKeys, new_token
from gateway.db.base import rows_changed


async def invite(
    db: AsyncSession,
    keys: TokenKeys,
    *,
    name: str,
    role: str,
    committee_id: int | None,
    now: datetime,
    ttl: timedelta,
    invited_by: int | None = None,
) -> str:
    """A new invitation; its token is returned once (for the link) and kept only as a keyed digest."""
    check_role(role, committee_id)
    name = clean_name(name)
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"the name must have 1 to {MAX_NAME} characters")
    token = new_token(INVITATION_PREFIX)
    db.add(
        Invitation(
            token_hash=keys.invitation_digest(token),
            name=name,
            role=role,
            committee_id=committee_id,
            invited_by=invited_by,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await db.flush()
    return token


async def open_invitation(db: AsyncSession, keys: TokenKeys, token: str, now: datetime) -> Invitation | None:
    """The invitation behind a link, if it is still usable (not used, not expired)."""
    if not token.startswith(INVITATION_PREFIX) or len(token) > 100:
        return None
    found = (
        await db.execute(select(Invitation).where(Invitation.token_hash == keys.invitation_digest(token)))
    ).scalar_one_or_none()
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    return found


async def accept(
    db: AsyncSession,
    passwords: Passwords,
    invitation: Invitation,
    *,
    login: str,
    password: str,
    now: datetime,
) -> User:
    """The account the invitation promised. The invitation is marked used in the same statement that
    checks it is unused, so two tabs racing with one link make one account."""
    login = normal_login(login)
    if not login or len(login) > MAX_LOGIN or any(c.isspace() or not c.isprintable() for c in login):
        raise AccountError("console.invitation.bad_login")
    if problem := password_problem(password, name=invitation.name, login=login):
        raise AccountError(problem)
    taken = (await db.execute(select(User.id).where(User.login == login))).first()
    if taken is not None:
        raise AccountError("console.invitation.login_taken")
    claimed = await db.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(used_at=now)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise AccountError("console.invitation.unusable")
    user = User(
        name=invitation.name,
        login=login,
        password_hash=await passwords.hash(password),
        role=invitation.role,
        committee_id=invitation.committee_id,
        active=True,
        failed_attempts=0,
        created_at=now,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:  # taken by another acceptance a moment ago; the caller rolls back
        raise AccountError("console.invitation.login_taken") from None
    await db.execute(update(Invitation).where(Invitation.id == invitation.id).values(user_id=user.id))
    return user


async def expire_invitations(db: AsyncSession, now: datetime) -> int:
    """Invitations past their date, used or not, deleted: the link works once, and the audit log
    keeps who invited whom; an invitation nobody took would otherwise keep a name for ever."""
    return rows_changed(await db.execute(delete(Invitation).where(Invitation.expires_at < now)))
