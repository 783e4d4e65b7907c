from __future__ import annotations

from pathlib import Path

import typer

from gateway.cli.common import err, run, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Communes, cercles and provinces.")


@app.command("import")
def import_areas(
    file: Path = typer.Argument(..., help="COD-AB style CSV (ADM1_FR, ADM2_FR, ADM3_FR, *_PCODE …)."),
) -> None:
    """Load or update areas, matching existing ones by P-code, name or alias (reports keep their areas)."""
    from gateway.areas.csvfile import AreaFileError, read_rows
    from gateway.areas.importer import import_rows
    from gateway.db.engine import create_engine

    settings = settings_or_exit(secret=False)
    if not file.is_file():
        err(f"no such file: {file}")
        raise typer.Exit(2)
    try:
        rows = read_rows(file)
    except AreaFileError as exc:
        err(str(exc))
        raise typer.Exit(1) from None

    async def _import() -> None:
        engine = create_engine(settings)
        try:
            async with engine.begin() as connection:
                result = await connection.run_sync(import_rows, rows)
        finally:
            await engine.dispose()
        err(f"areas: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")

    run(_import)
