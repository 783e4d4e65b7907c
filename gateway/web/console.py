"""The web console, put into the app in one call."""

from __future__ import annotations

from fastapi import FastAPI

from gateway.web import language_choice, overview, signin
from gateway.web.audit import router as audit_router
from gateway.web.auth import ConsoleState, install_handlers
from gateway.web.broadcasts import router as broadcasts_router
from gateway.web.committees import router as committees_router
from gateway.web.meetings import router as meetings_router
from gateway.web.reports import router as reports_router


def install(app: FastAPI) -> None:
    app.state.console = ConsoleState()
    install_handlers(app)
    app.include_router(signin.router)
    app.include_router(language_choice.router)
    app.include_router(overview.router)
    app.include_router(reports_router)
    app.include_router(committees_router)
    app.include_router(audit_router)
    app.include_router(broadcasts_router)
    app.include_router(meetings_router)
