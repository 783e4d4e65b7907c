from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from gateway.http.deps import GatewayDep
from gateway.ops.metrics import render
from gateway.outbox.depth import outbox_depth
from gateway.outbox.health import configured_states

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics")
async def metrics(request: Request, gateway: GatewayDep) -> Response:
    expected = gateway.settings.metrics_token
    if expected:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode("utf-8"), expected.encode("utf-8")
        ):
            return JSONResponse(
                {"error": "metrics need Authorization: Bearer <GATEWAY_METRICS_TOKEN>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
    async with gateway.sessionmaker() as db:
        depth = await outbox_depth(db)
    body, content_type = render([depth])
    return Response(body, media_type=content_type)


@router.get("/readyz")
async def readyz(gateway: GatewayDep) -> JSONResponse:
    """503 when the database is unreachable. Each configured channel's state comes from the last
    `gateway channels check` or the dispatchers' last sends (the `channel_states` table), never
    from calling a provider: a down channel does not make the API unready, its messages wait."""
    try:
        async with gateway.db_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    async with gateway.sessionmaker() as db:
        states = await configured_states(db, gateway.channels.names)
    channels = {
        name: {
            "state": state.state,
            "detail": state.detail or "not checked or used yet",
            "since": state.changed_at.isoformat() if state.changed_at else None,
        }
        for name, state in states.items()
    }
    return JSONResponse({"status": "ok", "channels": channels})
