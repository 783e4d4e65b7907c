"""Creating and checking admin API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.models import ROLES, ApiToken
from gateway.wiring import Gateway, get_gateway

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
    token_id: int
    name: str
    role: str
    committee_id: int | None


async def current_principal(request: Request, gateway: Gateway = Depends(get_gateway)) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            401, "a bearer token is required (gateway token create)", {"WWW-Authenticate": "Bearer"}
        )
    async with gateway.sessionmaker() as db:
        row = (
            await db.execute(
                select(ApiToken).where(
                    ApiToken.token_hash == token_hash(token.strip()), ApiToken.revoked_at.is_(None)
                )
            )
        ).scalar_one_or_none()
    if row is None:
        raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
    return Principal(row.id, row.name, row.role, row.committee_id)


def require(*roles: str):  # type: ignore[no-untyped-def]
    """A dependency that lets only these roles through (403 otherwise)."""

    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                403, f"this needs the {' or '.join(roles)} role; the token has {principal.role}"
            )
        return principal

    return check
