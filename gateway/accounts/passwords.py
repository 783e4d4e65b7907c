"""Password hashes for console accounts: argon2id, and checks that cost as much for an unknown login."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

# RFC 9106's second recommended profile (argon2id, 64 MiB, 3 passes, 4 lanes): about 0.2 s on the
# project's 2-core machine. The first profile's 2 GiB per check is more than such a server has.
PARAMETERS = RFC_9106_LOW_MEMORY
MIN_LENGTH = 10
# Long enough for any passphrase; a longer one is refused before it is hashed.
MAX_LENGTH = 1024


@dataclass(frozen=True)
class Checked:
    ok: bool
    # The hash was made with other parameters than today's: store a new one while the password is known.
    new_hash: str | None = None


class Passwords:
    """Hashes and checks in a worker thread, a few at a time: each takes 64 MiB and 0.2 s of CPU,
    which on the event loop would stall every USSD hop of the process meanwhile."""

    def __init__(self, concurrency: int = 2) -> None:
        self._hasher = PasswordHasher.from_parameters(PARAMETERS)
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def check(self, stored: str | None, password: str) -> Checked:
        """Whether `password` matches `stored`. With no stored hash (an unknown login) a made-up one
        is checked instead, so that the answer takes as long and tells nobody the login is unknown."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash("not a password anyone has: only spends the time")
            await self._verify(self._dummy, password)
            return Checked(False)
        if not await self._verify(stored, password):
            return Checked(False)
        if self._hasher.check_needs_rehash(stored):
            return Checked(True, await self.hash(password))
        return Checked(True)

    async def _verify(self, stored: str, password: str) -> bool:
        async with self._slots:
            try:
                return await asyncio.to_thread(self._hasher.verify, stored, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False


def password_problem(password: str, *, name: str = "", login: str = "") -> str | None:
    """Why a new password is refused (a message id), or None."""
    if len(password) < MIN_LENGTH:
        return "console.password.too_short"
    if len(password) > MAX_LENGTH:
        return "console.password.too_long"
    lowered = password.casefold()
    if lowered in {name.casefold(), login.casefold()}:
        return "console.password.is_login"
    if len(set(password)) < 4:
        return "console.password.too_simple"
    return None
