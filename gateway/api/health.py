from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from gateway.http.deps import GatewayDep
from gateway.ops.metrics import render
from gateway.outbox.depth import outbox_depth

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
    try:
        async with gateway.db_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok"})
