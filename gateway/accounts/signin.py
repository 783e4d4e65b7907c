"""Signing in with a login and a password: lockout after repeated failures, and an outcome that
says, for the audit log, what happened (the page says less)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.models import User
from gateway.accounts.passwords import MAX_LENGTH, Passwords
from gateway.accounts.people import MAX_LOGIN, normal_login

Outcome = Literal["ok", "unknown_login", "bad_password", "locked", "disabled"]


@dataclass(frozen=True)
class Lockout:
    after: int
    period: timedelta


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    user: User | None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


async def sign_in(
    db: AsyncSession, passwords: Passwords, login: str, password: str, now: datetime, lockout: Lockout
) -> Attempt:
    login = normal_login(login)
    user = None
    # A control character (a NUL, which PostgreSQL refuses in text) is in no login: not looked up.
    if login and len(login) <= MAX_LOGIN and login.isprintable():
        # FOR UPDATE: two wrong passwords at once both count (PostgreSQL; SQLite writes one at a time).
        user = (
            await db.execute(select(User).where(User.login == login).with_for_update())
        ).scalar_one_or_none()
    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]  # wrong anyway: no password that long was ever accepted
    if user is None:
        await passwords.check(None, password)
        return Attempt("unknown_login", None)
    if user.locked_until is not None and user.locked_until > now:
        # The password is not even checked: guesses during the lock tell nothing.
        return Attempt("locked", user)
    checked = await passwords.check(user.password_hash, password)
    if not checked.ok:
        user.failed_attempts += 1
        if user.failed_attempts >= lockout.after:
            user.locked_until = now + lockout.period
            user.failed_attempts = 0
        return Attempt("bad_password", user)
    if not user.active:
        return Attempt("disabled", user)
    user.failed_attempts = 0
    user.locked_until = None
    user.last_signin_at = now
    if checked.new_hash:
        user.password_hash = checked.new_hash
    return Attempt("ok", user)
