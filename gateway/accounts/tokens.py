"""API tokens for machines: made, shown once, kept only as a digest, and found again by it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.models import ROLES, ApiToken

PREFIX = "gw_"


def token_hash(token: str) -> str:
    # Tokens are long and random, so a plain digest is enough to keep them out of the database.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(db: AsyncSession, name: str, role: str, committee_id: int | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    if (role == "committee") != (committee_id is not None):
        raise ValueError("a committee token needs --committee, and only a committee token takes one")
    token = PREFIX + secrets.token_urlsafe(32)
    db.add(ApiToken(name=name[:120], role=role, committee_id=committee_id, token_hash=token_hash(token)))
    return token


@dataclass(frozen=True)
class Principal:
    """Who is asking: a token's name, its role and, for a committee token, its committee."""

    token_id: int
    name: str
    role: str
    committee_id: int | None

    @property
    def audit_name(self) -> str:
        # A token is named by whoever made it (`gateway token create NAME`): that name, as ever.
        return self.name


async def principal_for(db: AsyncSession, token: str) -> Principal | None:
    """The holder of a live (not revoked) token, or None."""
    row = (
        await db.execute(
            select(ApiToken).where(
                ApiToken.token_hash == token_hash(token.strip()), ApiToken.revoked_at.is_(None)
            )
        )
    ).scalar_one_or_none()
    return None if row is None else Principal(row.id, row.name, row.role, row.committee_id)
