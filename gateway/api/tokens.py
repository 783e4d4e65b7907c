"""The admin API's bearer-token check, and the roles each endpoint lets through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, HTTPException, Request

from gateway.accounts.tokens import Principal, principal_for
from gateway.http.deps import GatewayDep


async def current_principal(request: Request, gateway: GatewayDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            401, "a bearer token is required (gateway token create)", {"WWW-Authenticate": "Bearer"}
        )
    async with gateway.sessionmaker() as db:
        principal = await principal_for(db, token)
    if principal is None:
        raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
    return principal


def require(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets only these roles through (403 otherwise)."""

    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                403, f"this needs the {' or '.join(roles)} role; the token has {principal.role}"
            )
        return principal

    return check
