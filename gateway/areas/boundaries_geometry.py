"""Polygons as plain lists, read from GeoJSON geometry and simplified for the web (Douglas–Peucker,
pure Python: no GEOS here). Coordinates are (longitude, latitude) in degrees, as COD-AB ships them.

A ring is closed (its last point repeats its first) and has at least 4 points; a polygon is its
outer ring followed by its holes; a commune is a list of polygons (a MultiPolygon)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

Point = tuple[float, float]
Ring = list[Point]
Polygon = list[Ring]
MultiPolygon = list[Polygon]

# 1e-5 degree is about 1 m: finer than any commune outline needs, and short in JSON.
DECIMALS = 5


class GeometryError(ValueError):
    """What is wrong with one geometry, in words an operator can act on."""


def read_geometry(geometry: object) -> MultiPolygon:
    """A GeoJSON Polygon or MultiPolygon as a MultiPolygon; anything else is a GeometryError."""
    if not isinstance(geometry, dict):
        raise GeometryError("no geometry (null or not an object)")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return [_polygon(coordinates, "")]
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list | tuple) or not coordinates:
            raise GeometryError("MultiPolygon without polygons")
        return [_polygon(p, f"polygon {i + 1}: ") for i, p in enumerate(coordinates)]
    raise GeometryError(f"geometry type {kind!r}: only Polygon and MultiPolygon outline an area")


def _polygon(rings: object, where: str) -> Polygon:
    if not isinstance(rings, list | tuple) or not rings:
        raise GeometryError(f"{where}a polygon needs at least its outer ring")
    return [_ring(ring, f"{where}ring {i + 1}") for i, ring in enumerate(rings)]


def _ring(positions: object, where: str) -> Ring:
    if not isinstance(positions, list | tuple):
        raise GeometryError(f"{where}: not a list of positions")
    ring: Ring = []
    for n, position in enumerate(positions, start=1):
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in position[:2])
        ):
            raise GeometryError(f"{where}, position {n}: not [longitude, latitude]")
        lon, lat = float(position[0]), float(position[1])
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            # The usual cause: a file in a projected system (metres), not EPSG:4326 degrees.
            raise GeometryError(
                f"{where}, position {n}: ({lon:g}, {lat:g}) is not longitude/latitude in degrees "
                "(the file must be in WGS 84, EPSG:4326, as OCHA COD-AB ships it)"
            )
        ring.append((lon, lat))
    if len(ring) < 4:
        raise GeometryError(f"{where}: {len(ring)} position(s); a closed ring needs at least 4")
    if ring[0] != ring[-1]:
        raise GeometryError(f"{where}: not closed (its last position must repeat its first)")
    return ring


def vertex_count(shape: MultiPolygon) -> int:
    return sum(len(ring) for polygon in shape for ring in polygon)


def bbox(shape: MultiPolygon) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) over the outer rings (holes lie inside them)."""
    xs = [x for polygon in shape for x, _ in polygon[0]]
    ys = [y for polygon in shape for _, y in polygon[0]]
    return min(xs), min(ys), max(xs), max(ys)


def ring_area(ring: Sequence[Point]) -> float:
    """Unsigned shoelace area, in the ring's own units squared."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def _distance(point: Point, start: Point, end: Point) -> float:
    """From `point` to the segment start-end."""
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _keep(points: Sequence[Point], first: int, last: int, tolerance: float, kept: set[int]) -> None:
    """Douglas–Peucker over points[first..last], with a stack: a long border must not recurse deep."""
    stack = [(first, last)]
    while stack:
        a, b = stack.pop()
        far, far_distance = -1, -1.0
        for i in range(a + 1, b):
            d = _distance(points[i], points[a], points[b])
            if d > far_distance:
                far, far_distance = i, d
        if far >= 0 and far_distance > tolerance:
            kept.add(far)
            stack.extend(((a, far), (far, b)))


def simplify_ring(ring: Sequence[Point], tolerance: float) -> Ring:
    """The ring with only the points that stray more than `tolerance` from the simplified line,
    never fewer than 3 distinct corners (4 points with the closing one); a subset of its points,
    in order, closed."""
    points = list(ring[:-1]) if len(ring) > 1 and ring[0] == ring[-1] else list(ring)
    if len(points) <= 3:
        return [*points, points[0]] if points else []
    # A closed ring has no ends: cut it at its first point and the point farthest from it.
    far = max(range(len(points)), key=lambda i: math.dist(points[0], points[i]))
    kept = {0, far}
    looped = [*points, points[0]]
    _keep(looped, 0, far, tolerance, kept)
    _keep(looped, far, len(points), tolerance, kept)
    while len(kept) < 3:
        # A sliver thinner than the tolerance still shows as a triangle, not as a line (and a ring
        # of one repeated point keeps its 4 points: it is not this function's to drop).
        third = max(
            (i for i in range(len(points)) if i not in kept),
            key=lambda i: _distance(points[i], points[0], points[far]),
        )
        kept.add(third)
    out = [points[i] for i in sorted(kept)]
    return [*out, out[0]]


def simplify(shape: MultiPolygon, tolerance: float) -> MultiPolygon:
    """Every ring simplified; holes and islands smaller than the tolerance dropped (they would be
    a dot on any map), but never a polygon's outer ring, and never the largest polygon."""
    if not shape:
        return []
    minimum = tolerance * tolerance
    largest = max(range(len(shape)), key=lambda i: ring_area(shape[i][0]))
    out: MultiPolygon = []
    for index, polygon in enumerate(shape):
        if index != largest and ring_area(polygon[0]) < minimum:
            continue
        outer = simplify_ring(polygon[0], tolerance)
        holes = [simplify_ring(hole, tolerance) for hole in polygon[1:] if ring_area(hole) >= minimum]
        out.append([outer, *holes])
    return out


def rounded(shape: MultiPolygon, decimals: int = DECIMALS) -> MultiPolygon:
    """Coordinates rounded for storage; a point that rounding makes repeat its predecessor goes,
    and a ring left with fewer than 3 corners keeps its unrounded points."""
    out: MultiPolygon = []
    for polygon in shape:
        rings: Polygon = []
        for ring in polygon:
            points: Ring = []
            for x, y in ring[:-1]:
                point = (round(x, decimals), round(y, decimals))
                if not points or points[-1] != point:
                    points.append(point)
            while len(points) > 1 and points[-1] == points[0]:
                points.pop()
            rings.append([*points, points[0]] if len(points) >= 3 else list(ring))
        out.append(rings)
    return out


def to_json(shape: MultiPolygon) -> str:
    """A GeoJSON MultiPolygon, compact (no spaces)."""
    coordinates = [[[[x, y] for x, y in ring] for ring in polygon] for polygon in shape]
    return json.dumps({"type": "MultiPolygon", "coordinates": coordinates}, separators=(",", ":"))


def from_json(text: str) -> MultiPolygon:
    """What to_json wrote (stored rows are trusted: the import checked them)."""
    data = json.loads(text)
    return [[[(float(x), float(y)) for x, y in ring] for ring in polygon] for polygon in data["coordinates"]]
