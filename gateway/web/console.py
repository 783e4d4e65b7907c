"""The web console, put into the app in one call."""

from __future__ import annotations

from fastapi import FastAPI

from gateway.web import overview, signin
from gateway.web.auth import ConsoleState, install_handlers
from gateway.web.reports import router as reports_router


def install(app: FastAPI) -> None:
    app.state.console = ConsoleState()
    install_handlers(app)
    app.include_router(signin.router)
    app.include_router(overview.router)
    app.include_router(reports_router)
