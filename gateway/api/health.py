from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from gateway.wiring import Gateway, get_gateway

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics")
async def metrics(gateway: Annotated[Gateway, Depends(get_gateway)]) -> Response:
    from gateway.ops.metrics import render

    async with gateway.sessionmaker() as db:
        body, content_type = await render(db)
    return Response(body, media_type=content_type)


@router.get("/readyz")
async def readyz(gateway: Annotated[Gateway, Depends(get_gateway)]) -> JSONResponse:
    try:
        async with gateway.db_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok"})
