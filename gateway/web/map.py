"""The overview's map: each commune's imported outline as an inline SVG path, shaded by the
overview's own report counts (gateway.reports.stats; nothing is counted here), with its name and
count as a tooltip and a link to the inbox filtered by that commune.

Equirectangular, with longitudes shrunk by cos(latitude) at the middle of the view: over the few
degrees of the border area that is as true as any projection a reader would notice. Outlines are
simplified again for the view (under a pixel) and written as relative integer moves, which keeps
all the area's communes in tens of kB; the drawing is cached per import and per view."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.boundaries import Outline, boundaries_version, load_outlines
from gateway.areas.boundaries_geometry import Ring, simplify_ring
from gateway.areas.directory import AreaDirectory
from gateway.areas.importer import LEVEL_COMMUNE
from gateway.reports.stats import Overview

WIDTH = 1000  # the viewBox's width; the page scales it to the screen
MAX_HEIGHT = 1100
MARGIN = 0.02  # of the view's extent, so edge communes are not cut by the frame
PIXEL_TOLERANCE = 0.7  # in viewBox units: what a reader cannot see is not sent
# Shades of the console's green, lightest for no report; out of a committee's reach is grey.
CLASSES = 4
OUT_OF_REACH = "qx"
UNMAPPED_SHOWN = 10

Bounds = tuple[float, float, float, float]
Version = tuple[int, datetime | None]


@dataclass(frozen=True)
class Shade:
    css: str  # q0 … q4
    low: int
    high: int


@dataclass(frozen=True)
class MapCommune:
    area_id: int
    name: str
    province: str
    path: str
    count: int | None  # None: outside what the reader may see (drawn, not shaded, not linked)
    css: str


@dataclass
class CommuneMap:
    width: int
    height: int
    communes: list[MapCommune] = field(default_factory=list)
    legend: list[Shade] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # communes in reach with no outline (first few)
    unmapped_count: int = 0
    placeless: int = 0  # reports of the period with no commune: on no map


class MapCache:
    """The outlines of the latest import, and their drawings per view (the whole area, or one
    committee's communes); a new import changes the version and so every key."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._outlines: tuple[Version, list[Outline]] | None = None
        self._drawn: OrderedDict[tuple[Version, frozenset[int] | None], tuple[Bounds, dict[int, str]]] = (
            OrderedDict()
        )

    async def outlines(self, db: AsyncSession, version: Version) -> list[Outline]:
        if self._outlines is None or self._outlines[0] != version:
            self._outlines = (version, await load_outlines(db, LEVEL_COMMUNE))
        return self._outlines[1]

    def drawn(
        self, version: Version, focus: frozenset[int] | None, outlines: list[Outline]
    ) -> tuple[Bounds, dict[int, str]]:
        key = (version, focus)
        if key in self._drawn:
            self._drawn.move_to_end(key)
            return self._drawn[key]
        made = draw(outlines, focus)
        self._drawn[key] = made
        if len(self._drawn) > self.size:
            self._drawn.popitem(last=False)
        return made


def map_cache(request: Request) -> MapCache:
    state = request.app.state
    if not hasattr(state, "overview_map"):
        state.overview_map = MapCache()
    cache: MapCache = state.overview_map
    return cache


async def commune_map(
    db: AsyncSession,
    cache: MapCache,
    directory: AreaDirectory,
    reach: set[int] | None,
    counts: Overview,
) -> CommuneMap | None:
    """The map for a reader who may see `reach` (None: everywhere), or None before any import."""
    version = await boundaries_version(db, LEVEL_COMMUNE)
    if version[0] == 0:
        return None
    outlines = [o for o in await cache.outlines(db, version) if directory.get(o.area_id) is not None]
    outlined = {o.area_id for o in outlines}
    focus = None if reach is None else frozenset(reach & outlined)
    within = [p.id for p in directory.places.values() if p.level == LEVEL_COMMUNE]
    unmapped = sorted(
        (directory.places[i].name for i in within if (reach is None or i in reach) and i not in outlined),
        key=str.casefold,
    )
    made = CommuneMap(
        0,
        0,
        unmapped=unmapped[:UNMAPPED_SHOWN],
        unmapped_count=len(unmapped),
        placeless=counts.per_commune.get(None, 0),
    )
    if focus is not None and not focus:
        return made  # none of the reader's communes has an outline: the page says so
    (_, _, width, height), paths = cache.drawn(version, focus, outlines)
    made.width, made.height = int(width), int(height)
    shown = [counts.per_commune.get(i, 0) for i in paths if reach is None or i in reach]
    made.legend = shades(max(shown, default=0))
    for area_id, path in paths.items():
        place = directory.places[area_id]
        parent = directory.get(place.parent_id)
        count = counts.per_commune.get(area_id, 0) if reach is None or area_id in reach else None
        css = OUT_OF_REACH if count is None else shade_of(made.legend, count)
        made.communes.append(MapCommune(area_id, place.name, parent.name if parent else "", path, count, css))
    return made


def shades(top: int) -> list[Shade]:
    """Zero, then up to CLASSES equal steps of whole numbers up to the largest count; the largest
    count always gets the darkest shade, however few steps there are."""
    steps: list[tuple[int, int]] = []
    low = 1
    for k in range(1, CLASSES + 1):
        high = math.ceil(k * top / CLASSES)
        if high >= low:
            steps.append((low, high))
            low = high + 1
    first = CLASSES + 1 - len(steps)
    return [Shade("q0", 0, 0), *(Shade(f"q{first + i}", lo, hi) for i, (lo, hi) in enumerate(steps))]


def shade_of(legend: list[Shade], count: int) -> str:
    return next((s.css for s in legend if s.low <= count <= s.high), legend[-1].css)


def draw(outlines: list[Outline], focus: frozenset[int] | None) -> tuple[Bounds, dict[int, str]]:
    """The view's (0, 0, width, height) and each visible commune's SVG path: framed on the `focus`
    communes (all when None) with the neighbours that fall in the frame drawn too."""
    framed = [o for o in outlines if focus is None or o.area_id in focus]
    west = min(o.bounds[0] for o in framed)
    south = min(o.bounds[1] for o in framed)
    east = max(o.bounds[2] for o in framed)
    north = max(o.bounds[3] for o in framed)
    pad = MARGIN * max(east - west, north - south, 1e-6)
    west, south, east, north = west - pad, south - pad, east + pad, north + pad
    shrink = math.cos(math.radians((south + north) / 2))
    scale = min(WIDTH / ((east - west) * shrink), MAX_HEIGHT / (north - south))
    width, height = math.ceil((east - west) * shrink * scale), math.ceil((north - south) * scale)

    def project(ring: Ring) -> Ring:
        return [((x - west) * shrink * scale, (north - y) * scale) for x, y in ring]

    paths: dict[int, str] = {}
    for outline in outlines:
        w, s, e, n = outline.bounds
        if e < west or w > east or n < south or s > north:
            continue
        rings = [project(ring) for polygon in outline.shape for ring in polygon]
        drawn = [d for d in (_ring_path(simplify_ring(r, PIXEL_TOLERANCE)) for r in rings) if d]
        if not drawn:  # smaller than a pixel at this scale: its largest ring, as a dot
            drawn = [_ring_path(max(rings, key=len), keep_tiny=True)]
        paths[outline.area_id] = "".join(drawn)
    return (0.0, 0.0, float(width), float(height)), paths


def _ring_path(ring: Ring, keep_tiny: bool = False) -> str:
    """'M x y l dx dy … z' in whole units; '' for a ring that rounds to fewer than 3 corners."""
    points: list[tuple[int, int]] = []
    for x, y in ring[:-1]:
        point = (round(x), round(y))
        if not points or points[-1] != point:
            points.append(point)
    while len(points) > 1 and points[-1] == points[0]:
        points.pop()
    if len(points) < 3 and not keep_tiny:
        return ""
    numbers: list[int] = []
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        numbers += [x2 - x1, y2 - y1]
    first = f"M{points[0][0]} {points[0][1]}"
    return first + (f"l{_join(numbers)}" if numbers else "") + "z"


def _join(numbers: list[int]) -> str:
    # A minus sign separates numbers by itself: "3-4" is 3 then -4.
    out = str(numbers[0])
    for n in numbers[1:]:
        out += str(n) if n < 0 else f" {n}"
    return out
