from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
import uvicorn

from gateway.cli.common import ensure_schema, err, settings_or_exit
from gateway.config import SettingsError, load_settings
from gateway.logging import configure_logging

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, max=64, help="Uvicorn worker processes (PostgreSQL only)."),
) -> None:
    """Serve the callbacks and API (and, with SQLite, bring the database up to date first)."""
    settings = settings_or_exit()
    if workers > 1 and settings.is_sqlite:
        err("--workers needs PostgreSQL: SQLite has one writer")
        raise typer.Exit(2)
    # With SQLite the outbox is sent from a companion process (ops/companion.py).
    companion = settings.is_sqlite and settings.dispatch_in_process is not False
    if workers > 1 or companion:
        # Every process writes its counts to files that /metrics adds up (the companion's provider
        # latency and errors included). Set before anything imports prometheus_client, which
        # chooses file-backed values at import; the workers and the companion inherit it.
        _metric_files(settings.metrics_dir or Path(tempfile.gettempdir()) / f"gateway-metrics-{port}")
    try:
        token = settings.require_callback_token()
        from gateway.channels.providers import build_channels

        build_channels(settings)  # a route naming an unknown channel stops us here, in one line
    except SettingsError as exc:
        err(str(exc))
        raise typer.Exit(2) from None
    if token is None:
        log.warning(
            "GATEWAY_CALLBACK_TOKEN is not set: anyone can post callbacks (tolerated only with SQLite "
            "and the log provider, for development)"
        )
    if settings.is_sqlite:
        ensure_schema(settings)
    from gateway.app import create_app

    # On SIGTERM uvicorn stops accepting, lets requests in flight finish (up to the grace
    # period), then runs the app's shutdown, where an in-process dispatcher hands back its claims.
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "proxy_headers": True,
        "timeout_graceful_shutdown": round(settings.shutdown_grace_s),
    }
    err(f"gateway: serving on http://{host}:{port} (database: {settings.database_url.split('://')[0]})")
    if workers > 1:
        # Each worker process builds its own app (and connection pool) from the same settings.
        uvicorn.run("gateway.cli.serve:worker_app", factory=True, workers=workers, **options)
        return
    sender = None
    if companion:
        # The embedded default sends the outbox too: from a process of its own (ops/companion.py).
        from gateway.ops.companion import Companion

        sender = Companion(settings.shutdown_grace_s)
        sender.start()
        settings = settings.model_copy(update={"dispatch_in_process": False})
        log.info("sending the outbox from a companion process (gateway worker)")
    try:
        uvicorn.run(create_app(settings), **options)
    finally:
        if sender is not None:
            sender.stop()


def worker_app() -> FastAPI:
    """The app of one `serve --workers N` process. Uvicorn spawns each one fresh, without this
    process's logging: it must set up its own, or its lines (tracebacks included) would reach
    stderr unmasked through Python's last-resort handler."""
    from gateway.app import create_app

    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)


def _metric_files(directory: Path) -> None:
    from gateway.ops.metric_files import MULTIPROCESS_ENV, prepare_multiprocess_dir

    os.environ[MULTIPROCESS_ENV] = str(prepare_multiprocess_dir(directory))
