"""The admin API's bearer-token check, and the roles each endpoint lets through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.accounts.tokens import Principal, principal_for
from gateway.http.deps import GatewayDep

# Declared through FastAPI's scheme so the OpenAPI schema names it (Swagger UI's Authorize button);
# auto_error off because the refusal, with its hint, stays ours.
bearer = HTTPBearer(
    scheme_name="bearer",
    description="An API token: `gateway token create --role organiser|committee|viewer --name …`.",
    auto_error=False,
)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


async def current_principal(gateway: GatewayDep, credentials: BearerCredentials) -> Principal:
    if credentials is None:
        raise HTTPException(
            401, "a bearer token is required (gateway token create)", {"WWW-Authenticate": "Bearer"}
        )
    async with gateway.sessionmaker() as db:
        principal = await principal_for(db, credentials.credentials)
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
