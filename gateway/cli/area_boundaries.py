"""`gateway areas import-boundaries FILE`: OCHA COD-AB outlines for the console's map."""

from __future__ import annotations

from pathlib import Path

import typer

from gateway.cli.common import database, err, run, settings_or_exit

# Lists longer than this are cut in the output (the count is always given in full).
SHOWN = 20


def import_boundaries(
    file: Path = typer.Argument(
        ...,
        help="COD-AB admin boundaries: GeoJSON, a .shp (with .shx and .dbf beside it), or the zip "
        "of shapefiles HDX offers (…_shp.zip); in a zip, the level's …_admbnda_adm3_… layer is read.",
    ),
    level: str = typer.Option(
        "commune",
        help="Which level to read: commune (ADM3, the map's), cercle/province (ADM2), region (ADM1).",
    ),
    tolerance: float = typer.Option(
        0.001, min=0.00001, max=0.05, help="Simplification, in degrees (0.001 is about 110 m)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read, match and report; change nothing."),
) -> None:
    """Load each area's outline, matched to our areas by P-code only (load the P-codes first with
    `gateway areas import`). A re-import replaces that level's outlines in the file's countries;
    nothing is changed when the file is malformed or matches no area."""
    from gateway.areas.boundaries import BoundaryImport, NothingMatched
    from gateway.areas.boundaries import import_boundaries as store
    from gateway.areas.boundaries_files import BoundaryFileError, read_boundaries
    from gateway.audit.service import record
    from gateway.cli.area_records import parse_level
    from gateway.db.base import utcnow

    try:
        number, _ = parse_level(level.strip().lower().removeprefix("adm"))
    except ValueError as exc:
        err(f"--level: {exc}")
        raise typer.Exit(2) from None
    assert number is not None  # parse_level gives a number for every word it accepts
    if not file.is_file():
        err(f"no such file: {file}")
        raise typer.Exit(2)
    try:
        loaded = read_boundaries(file, number)
    except BoundaryFileError as exc:
        err(str(exc))
        raise typer.Exit(1) from None
    settings = settings_or_exit(secret=False)

    async def _import() -> BoundaryImport:
        async with database(settings) as sessions, sessions() as db, db.begin():
            try:
                result = await store(db, loaded, number, utcnow(), tolerance=tolerance, dry_run=dry_run)
            except NothingMatched as exc:
                err(f"{loaded.source}: {exc}")
                raise typer.Exit(1) from None
            if not dry_run:
                record(
                    db,
                    actor="cli",
                    role="organiser",
                    action="areas.import_boundaries",
                    detail=f"{loaded.source} level {number}: {result.matched} matched, "
                    f"{len(result.unknown)} unknown, {len(result.missing)} missing",
                    rows=result.matched,
                )
            return result

    result = run(_import)
    for warning in result.warnings:
        err(f"warning: {warning}")
    _list("in the file, no area has this P-code", [f"{u.pcode} {u.name}" for u in result.unknown])
    _list("areas with a P-code the file lacks", [f"{u.pcode} {u.name}" for u in result.missing])
    _list("areas with no P-code (gateway areas import loads them)", result.without_pcode)
    kilobytes = result.stored_bytes / 1000
    err(
        f"{result.source_vertices} points simplified to {result.vertices} ({kilobytes:.0f} kB stored, "
        f"tolerance {tolerance:g}°)"
    )
    verb = "would store" if dry_run else "stored"
    err(
        f"boundaries: {verb} {result.matched} outline(s) of level {number} ({', '.join(result.countries)}), "
        f"replacing {result.replaced}; "
        f"{len(result.unknown)} feature(s) unmatched, {len(result.missing) + len(result.without_pcode)} "
        f"area(s) without an outline" + (" (dry run: nothing changed)" if dry_run else "")
    )


def _list(title: str, items: list[str]) -> None:
    if not items:
        return
    err(f"{title} ({len(items)}):")
    for item in items[:SHOWN]:
        err(f"  {item}")
    if len(items) > SHOWN:
        err(f"  … and {len(items) - SHOWN} more")
