from __future__ import annotations

from pathlib import Path

import typer

from gateway.cli.area_boundaries import import_boundaries
from gateway.cli.common import database, err, run, settings_or_exit
from gateway.cli.output import Format, destination, write_records, write_table

app = typer.Typer(no_args_is_help=True, help="Communes, cercles and provinces.")

COLUMNS = ("id", "country", "level", "kind", "name", "parent", "aliases", "pcode")
TABLE_HEADER = ("country", "level", "name", "parent", "aliases", "P-code")

app.command("import-boundaries")(import_boundaries)


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


@app.command("list")
def list_areas(
    country: str = typer.Option(None, help="ML or BF (or Mali, Burkina Faso)."),
    level: str = typer.Option(None, help="region, cercle, province, commune, or 1, 2, 3."),
    under: str = typer.Option(
        None, help="Only what lies below this area: 'Kadiolo', 'cercle:Kadiolo', 'Kourouma, Kénédougou'."
    ),
    fmt: Format = typer.Option(
        Format.table, "--format", help="table for people; json, jsonl, csv for programs."
    ),
    output: Path = typer.Option(None, "--output", "-o", help="Write here instead of standard output."),
) -> None:
    """Areas in tree order: country, level and kind, name, parent, aliases and P-code (empty where the
    official dataset has not been loaded)."""
    from sqlalchemy import select

    from gateway.areas.csvfile import COUNTRY_NAMES
    from gateway.areas.lookup import AreaLookupError, find_areas
    from gateway.areas.models import Area
    from gateway.cli.area_records import AreaFilter, area_records, parse_level

    code = None
    if country is not None:
        code = COUNTRY_NAMES.get(country.strip().lower(), country.strip().upper())
        if code not in set(COUNTRY_NAMES.values()):
            err(f"--country: unknown country {country!r} (ML, BF)")
            raise typer.Exit(2)
    try:
        level_number, kind = parse_level(level) if level is not None else (None, None)
    except ValueError as exc:
        err(f"--level: {exc}")
        raise typer.Exit(2) from None
    settings = settings_or_exit(secret=False)

    async def _list() -> list[dict[str, object]]:
        async with database(settings) as sessions, sessions() as db:
            try:
                parent = (await find_areas(db, [under]))[0].id if under is not None else None
            except AreaLookupError as exc:
                err(f"--under: {exc}")
                raise typer.Exit(2) from None
            areas = (await db.execute(select(Area).where(Area.active.is_(True)))).scalars().all()
        return area_records(areas, AreaFilter(code, level_number, kind, parent))

    records = run(_list)
    with destination(output) as out:
        if fmt is Format.table:
            write_table(out, TABLE_HEADER, [_table_row(r) for r in records], fill_last=False)
        else:
            write_records(out, fmt, COLUMNS, records)
    err(f"{len(records)} area(s)" + (f" written to {output}" if output else ""))


def _table_row(record: dict[str, object]) -> list[str]:
    aliases = record["aliases"]
    return [
        str(record["country"]),
        f"{record['level']} {record['kind']}",
        str(record["name"]),
        str(record["parent"] or "-"),
        ", ".join(str(a) for a in aliases) if isinstance(aliases, list) and aliases else "-",
        str(record["pcode"] or "-"),
    ]
