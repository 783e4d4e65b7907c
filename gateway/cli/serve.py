from __future__ import annotations

import typer
import uvicorn

from gateway.cli.common import ensure_schema, err, settings_or_exit


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the callbacks and API (and, with SQLite, bring the database up to date first)."""
    settings = settings_or_exit()
    if settings.is_sqlite:
        ensure_schema(settings)
    from gateway.app import create_app

    err(f"gateway: serving on http://{host}:{port} (database: {settings.database_url.split('://')[0]})")
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, proxy_headers=True)
