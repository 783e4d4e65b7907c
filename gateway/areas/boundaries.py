"""Storing COD-AB outlines against our areas, by P-code only, and reading them back for the map.

A name that differs between the file and our area is a warning, never a reason to match or not:
names repeat (Finkolo, Finkolo Ganadougou) and are spelled many ways; P-codes do not. The caller
owns the transaction: a re-import replaces the outlines of that level in the countries the file
covers (Mali's file leaves Burkina Faso's outlines alone), as one change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.boundaries_files import BoundaryFile, Feature
from gateway.areas.boundaries_geometry import (
    MultiPolygon,
    bbox,
    from_json,
    rounded,
    simplify,
    to_json,
    vertex_count,
)
from gateway.areas.boundaries_models import AreaBoundary
from gateway.areas.csvfile import alias_names
from gateway.areas.importer import name_key
from gateway.areas.models import Area

# Degrees (about 110 m on the ground): far below what a commune of a few hundred km² needs to be
# recognised, and about a pixel when the map shows a committee's few communes.
DEFAULT_TOLERANCE = 0.001


@dataclass(frozen=True)
class Unmatched:
    pcode: str
    name: str


@dataclass
class BoundaryImport:
    """What an import did (or, dry, would do): counts and every name or P-code to look at."""

    source: str
    level: int
    matched: int = 0
    countries: list[str] = field(default_factory=list)  # of the areas matched: what is replaced
    replaced: int = 0  # outlines of this level there before, in those countries, gone or rewritten
    unknown: list[Unmatched] = field(default_factory=list)  # features whose P-code no area has
    missing: list[Unmatched] = field(default_factory=list)  # areas of the level the file lacks
    without_pcode: list[str] = field(default_factory=list)  # areas of the level with no P-code
    warnings: list[str] = field(default_factory=list)
    source_vertices: int = 0
    vertices: int = 0
    stored_bytes: int = 0


class NothingMatched(ValueError):
    """No feature's P-code is an area's: importing would only wipe the map."""


@dataclass(frozen=True)
class _Target:
    id: int
    country: str
    name: str
    aliases: tuple[str, ...]


async def import_boundaries(
    db: AsyncSession,
    loaded: BoundaryFile,
    level: int,
    now: datetime,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    dry_run: bool = False,
) -> BoundaryImport:
    """Match `loaded`'s features to the active areas of `level` by P-code, simplify and store them,
    replacing the outlines of that level in the countries matched; with `dry_run`, only say what
    would happen."""
    result = BoundaryImport(loaded.source, level, warnings=list(loaded.warnings))
    rows = await db.execute(
        select(Area.id, Area.country_code, Area.name, Area.pcode, Area.aliases).where(
            Area.level == level, Area.active.is_(True)
        )
    )
    targets: dict[str, _Target] = {}
    unnamed: list[tuple[str, str]] = []
    for row in rows:
        if row.pcode:
            targets[row.pcode.strip().upper()] = _Target(
                row.id, row.country_code, row.name, tuple(row.aliases or ())
            )
        else:
            unnamed.append((row.country_code, row.name))
    shapes: dict[str, tuple[_Target, list[Feature]]] = {}
    for feature in loaded.features:
        target = targets.get(feature.pcode)
        if target is None:
            result.unknown.append(Unmatched(feature.pcode, feature.name))
            continue
        if feature.pcode in shapes:
            result.warnings.append(f"{feature.pcode}: in the file more than once; its parts are joined")
        shapes.setdefault(feature.pcode, (target, []))[1].append(feature)
        if feature.name and name_key(feature.name) not in _names(target):
            result.warnings.append(
                f"{feature.pcode}: the file calls it {feature.name!r}, the area is {target.name!r} "
                "(matched by P-code; check it is the same place)"
            )
    if not shapes:
        raise NothingMatched(_nothing_matched(result, len(targets)))
    # Only the countries the file covers: Mali's file does not lack Burkina Faso's communes.
    countries = {target.country for target, _ in shapes.values()}
    result.countries = sorted(countries)
    result.missing = sorted(
        (
            Unmatched(pcode, t.name)
            for pcode, t in targets.items()
            if pcode not in shapes and t.country in countries
        ),
        key=lambda u: u.pcode,
    )
    result.without_pcode = sorted((name for c, name in unnamed if c in countries), key=name_key)

    outlines: list[AreaBoundary] = []
    for target, features in shapes.values():
        whole: MultiPolygon = [polygon for f in features for polygon in f.shape]
        simple = rounded(simplify(whole, tolerance))
        text = to_json(simple)
        min_lon, min_lat, max_lon, max_lat = bbox(simple)
        before, after = vertex_count(whole), vertex_count(simple)
        result.source_vertices += before
        result.vertices += after
        result.stored_bytes += len(text)
        outlines.append(
            AreaBoundary(
                area_id=target.id,
                level=level,
                geometry=text,
                min_lon=min_lon,
                min_lat=min_lat,
                max_lon=max_lon,
                max_lat=max_lat,
                source_vertices=before,
                vertices=after,
                source=loaded.source[:255],
                imported_at=now,
            )
        )
    result.matched = len(outlines)
    same = (AreaBoundary.level == level) & AreaBoundary.area_id.in_(
        select(Area.id).where(Area.country_code.in_(sorted(countries)))
    )
    result.replaced = (
        await db.execute(select(func.count()).select_from(AreaBoundary).where(same))
    ).scalar_one()
    if not dry_run:
        await db.execute(delete(AreaBoundary).where(same))
        db.add_all(outlines)
        await db.flush()
    return result


def _names(target: _Target) -> set[str]:
    return {name_key(target.name), *(name_key(a) for a in alias_names(target.aliases))}


def _nothing_matched(result: BoundaryImport, with_pcode: int) -> str:
    if not with_pcode:
        return (
            f"no area of level {result.level} has a P-code yet: load the COD-AB list of names and "
            "P-codes first (gateway areas import FILE.csv), then import the boundaries"
        )
    examples = ", ".join(u.pcode for u in result.unknown[:5]) or "none"
    return (
        f"no feature's P-code is one of our {with_pcode} areas of level {result.level} "
        f"(the file's: {examples}…): wrong country or level? Nothing was changed"
    )


@dataclass(frozen=True)
class Outline:
    area_id: int
    shape: MultiPolygon
    bounds: tuple[float, float, float, float]


async def boundaries_version(db: AsyncSession, level: int) -> tuple[int, datetime | None]:
    """How many outlines the level has and when they were last imported: a cheap key for caches."""
    row = (
        await db.execute(
            select(func.count(), func.max(AreaBoundary.imported_at)).where(AreaBoundary.level == level)
        )
    ).one()
    return int(row[0]), row[1]


async def load_outlines(db: AsyncSession, level: int) -> list[Outline]:
    rows = await db.execute(
        select(
            AreaBoundary.area_id,
            AreaBoundary.geometry,
            AreaBoundary.min_lon,
            AreaBoundary.min_lat,
            AreaBoundary.max_lon,
            AreaBoundary.max_lat,
        )
        .where(AreaBoundary.level == level)
        .order_by(AreaBoundary.area_id)
    )
    return [
        Outline(r.area_id, from_json(r.geometry), (r.min_lon, r.min_lat, r.max_lon, r.max_lat)) for r in rows
    ]
