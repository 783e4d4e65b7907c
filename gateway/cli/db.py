from __future__ import annotations

import typer

from gateway.cli.common import err, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Database schema.")


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply Alembic migrations (creates the schema and seeds the border areas)."""
    from gateway.db.migrate import upgrade as do_upgrade

    settings = settings_or_exit(secret=False)
    do_upgrade(settings.database_url, revision)
    err(f"database upgraded to {revision}")
