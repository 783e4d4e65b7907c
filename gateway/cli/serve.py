from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import typer
import uvicorn

from gateway.cli.common import ensure_schema, err, settings_or_exit


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
        # Each worker process builds its own app (and connection pool) from the same settings,
        # and writes its metrics where every worker's /metrics reads them all.
        from gateway.ops.metrics import MULTIPROCESS_ENV, prepare_multiprocess_dir

        directory = settings.metrics_dir or Path(tempfile.gettempdir()) / f"gateway-metrics-{port}"
        os.environ[MULTIPROCESS_ENV] = str(prepare_multiprocess_dir(directory))
        uvicorn.run("gateway.app:create_app", factory=True, workers=workers, **options)
        return
    uvicorn.run(create_app(settings), **options)
