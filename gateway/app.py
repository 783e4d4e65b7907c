"""The ASGI application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.middleware.gzip import GZipMiddleware

from gateway import __version__
from gateway.api import broadcasts as api_broadcasts
from gateway.api import committees as api_committees
from gateway.api import health
from gateway.api import meetings as api_meetings
from gateway.api import reports as api_reports
from gateway.api.validation import public_errors
from gateway.channels.africastalking import sms as at_sms
from gateway.channels.africastalking import ussd as at_ussd
from gateway.channels.android_sms import callbacks as android_sms
from gateway.channels.orange import callbacks as orange
from gateway.channels.providers import build_provider
from gateway.config import Settings, get_settings
from gateway.db.errors import database_unavailable
from gateway.http.body_limit import BodyLimit
from gateway.ops.side_loop import SideLoop
from gateway.web import console as web_console
from gateway.web import docs as web_docs
from gateway.wiring import Gateway

log = logging.getLogger(__name__)
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_app(settings: Settings | None = None, gateway: Gateway | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = gateway is None
        if gateway is None:
            chosen = settings or get_settings()
            built = Gateway.build(chosen, provider=build_provider(chosen))
        else:
            built = gateway
        app.state.gateway = built
        background = None
        if own and built.dispatch_in_process:
            # The embedded default: one process serves callbacks and sends the outbox, on a loop
            # of its own (ops/side_loop.py), with services of its own built there.
            async def work(stop: asyncio.Event) -> None:
                side = Gateway.build(built.settings, provider=build_provider(built.settings))
                # Hops waiting for SQLite's write lock hear when these transactions end, too.
                built.session_store.follow(side.db_engine)
                try:
                    await side.background(stop)
                finally:
                    await side.close()

            background = SideLoop("dispatcher and scheduler", work)
            background.start()
        try:
            yield
        finally:
            if background is not None:
                await background.stop()
            if own:
                await built.close()

    app = FastAPI(
        title="Border feedback gateway",
        version=__version__,
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry spans, metrics and logs stay off: they would record request
        # addresses (a callback's carries its token) and exception messages unmasked, wherever an
        # OTEL_* variable on the host pointed them; and asking on every request whether they are
        # configured cost a tenth of a USSD hop.
        telemetry=NO_TELEMETRY,
        # /docs is ours (web/docs.py), from vendored files; ReDoc is off, as it only loads from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    limits = settings or (gateway.settings if gateway is not None else get_settings())
    # The USSD hop answered before FastAPI's routing (channels/africastalking/ussd.py), inside the
    # body limit: added first, so it sits within the middleware added after it.
    app.add_middleware(at_ussd.HopRoute)
    # Outside routing and every dependency, so a body is refused before a token is even looked at.
    app.add_middleware(
        BodyLimit, callback_limit=limits.max_callback_body_bytes, api_limit=limits.max_api_body_bytes
    )
    # Exports in flight in this process; one more is refused with a 429 rather than queued.
    app.state.export_slots = asyncio.Semaphore(limits.export_concurrency)
    if gateway is not None:
        app.state.gateway = gateway
    app.include_router(health.router)
    app.include_router(at_ussd.hop_router)
    app.include_router(at_ussd.router)
    app.include_router(at_sms.router)
    app.include_router(android_sms.router)
    app.include_router(orange.router)
    app.include_router(api_committees.router)
    app.include_router(api_reports.router)
    app.include_router(api_meetings.router)
    app.include_router(api_broadcasts.router)
    app.include_router(web_docs.router)
    # Static files gzipped for the browsers that take it (console.css 5.5 kB -> 2.1 kB, Swagger's
    # bundle 1.7 MB -> 0.46 MB, in a thread above 128 kB): around this mount only, so no callback,
    # USSD hop or API call passes through it.
    app.mount(web_docs.STATIC_PATH, GZipMiddleware(web_docs.static_files(), compresslevel=6), name="static")
    # The console for people (sign-in, sessions, its pages); the API above stays for machines.
    web_console.install(app)

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
