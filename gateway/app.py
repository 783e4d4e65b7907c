"""The ASGI application."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from gateway import __version__
from gateway.api import broadcasts as api_broadcasts
from gateway.api import committees as api_committees
from gateway.api import health
from gateway.api import reports as api_reports
from gateway.api.body_limit import BodyLimit
from gateway.channels.africastalking import sms as at_sms
from gateway.channels.africastalking import ussd as at_ussd
from gateway.config import Settings, get_settings
from gateway.db.errors import database_unavailable
from gateway.wiring import Gateway

log = logging.getLogger(__name__)

# A 422 says where and why; it echoes an input (or a ctx) only this short, so that a megabyte sent
# is not a megabyte answered, and no object that is not JSON reaches the encoder.
ECHO_LIMIT = 100
MSG_LIMIT = 300


def create_app(settings: Settings | None = None, gateway: Gateway | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = gateway is None
        built: Gateway = gateway or Gateway.build(settings or get_settings())
        app.state.gateway = built
        stop = asyncio.Event()
        dispatcher = None
        if own and built.dispatch_in_process:
            # The embedded default: one process serves callbacks and sends the outbox.
            dispatcher = asyncio.create_task(built.background(stop), name="dispatcher and scheduler")
        try:
            yield
        finally:
            stop.set()
            if dispatcher is not None:
                await dispatcher
            if own:
                await built.close()

    app = FastAPI(title="Border feedback gateway", version=__version__, lifespan=lifespan)
    limits = settings or (gateway.settings if gateway is not None else get_settings())
    # Outside routing and every dependency, so a body is refused before a token is even looked at.
    app.add_middleware(
        BodyLimit, callback_limit=limits.max_callback_body_bytes, api_limit=limits.max_api_body_bytes
    )
    # Exports in flight in this process; one more is refused with a 429 rather than queued.
    app.state.export_slots = asyncio.Semaphore(limits.export_concurrency)
    if gateway is not None:
        app.state.gateway = gateway
    app.include_router(health.router)
    app.include_router(at_ussd.router)
    app.include_router(at_sms.router)
    app.include_router(api_committees.router)
    app.include_router(api_reports.router)
    app.include_router(api_broadcasts.router)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(OSError)
    async def _storage_down(request: Request, exc: Exception) -> JSONResponse:
        # The database is unreachable (restarting, failed over, pool exhausted). Nothing of the
        # request was committed; a 503 makes Africa's Talking send the callback again.
        if not database_unavailable(exc):
            raise exc  # a constraint or a bug, not an outage: a 500, and the log says which
        log.error("storage unavailable for %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return JSONResponse(
            {"error": "storage unavailable; retry later"}, status_code=503, headers={"Retry-After": "5"}
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"error": "invalid request", "detail": public_errors(exc.errors())}, status_code=422
        )

    return app


def public_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors as a client may see them: where, why, and the input only when it is short."""
    shown: list[dict[str, Any]] = []
    for error in errors:
        item: dict[str, Any] = {
            "loc": [_clip(part, ECHO_LIMIT) for part in error.get("loc", ())],
            "msg": _clip(str(error.get("msg", "")), MSG_LIMIT),
            "type": str(error.get("type", "")),
        }
        for key in ("input", "ctx"):
            if key in error and short_json(error[key]) is not None:
                item[key] = error[key]
        shown.append(item)
    return shown


def short_json(value: Any, limit: int = ECHO_LIMIT) -> str | None:
    """The JSON text of value if it is JSON and at most limit characters long, else None."""
    if _json_lower_bound(value, limit) > limit:
        return None  # decided without encoding a large value, however often it is repeated
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return text if len(text) <= limit else None


def _json_lower_bound(value: Any, limit: int) -> int:
    # At most the length json.dumps gives; it stops counting once past limit, so a deep or wide
    # value costs no more than limit steps.
    if isinstance(value, str):
        return len(value) + 2
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = ((None, v) for v in value)
    else:
        return 1
    size = 2
    if size > limit:
        return size  # checked before going deeper, so nesting cannot outrun the stack
    for key, item in items:
        if key is not None:
            size += _json_lower_bound(key, limit - size)
        size += _json_lower_bound(item, limit - size)
        if size > limit:
            return size
    return size


def _clip(part: Any, limit: int) -> Any:
    return part[:limit] + "…" if isinstance(part, str) and len(part) > limit else part
