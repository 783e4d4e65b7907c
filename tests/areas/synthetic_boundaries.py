"""SYNTHETIC boundaries, for tests only: squares on a grid near longitude 0, latitude 0 (open sea in
the Gulf of Guinea), with made-up P-codes that start with "SYN". They are not the shape or the place
of any real commune and are never product data: real outlines come only from OCHA COD-AB, imported
by an operator (`gateway areas import-boundaries`)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

CELL = 0.2  # degrees per synthetic square


def square(col: int, row: int, size: float = CELL, inset: float = 0.0) -> list[list[float]]:
    """A closed ring, counter-clockwise (RFC 7946's outer rings)."""
    x0, y0 = col * size + inset, row * size + inset
    x1, y1 = (col + 1) * size - inset, (row + 1) * size - inset
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def feature(pcode: str, name: str, geometry: dict[str, Any] | None, level: int = 3) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {f"ADM{level}_PCODE": pcode, f"ADM{level}_FR": name, "ADM0_PCODE": "SYN"},
        "geometry": geometry,
    }


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def grid(names: dict[str, str], columns: int = 4) -> dict[str, Any]:
    """One square per P-code, left to right, bottom to top."""
    return collection(
        *(
            feature(pcode, name, polygon(square(i % columns, i // columns)))
            for i, (pcode, name) in enumerate(names.items())
        )
    )


def _edge(a: tuple[int, int], b: tuple[int, int], points: int) -> list[list[float]]:
    """A jagged edge from grid corner a to b, the same for both squares that share it (like a
    river border), without its last point."""
    key = (min(a, b), max(a, b))
    rng = random.Random(hash(key) & 0xFFFFFFFF)
    # A meander (two waves, zero at both corners) with survey noise of about 20 m on top.
    f1, f2, p1, p2 = rng.randint(1, 3), rng.randint(4, 9), rng.uniform(0, 6.3), rng.uniform(0, 6.3)
    offsets = [
        math.sin(math.pi * t)
        * (
            0.04 * CELL * math.sin(2 * math.pi * f1 * t + p1)
            + 0.01 * CELL * math.sin(2 * math.pi * f2 * t + p2)
        )
        + rng.uniform(-0.0002, 0.0002)
        for t in (i / points for i in range(points))
    ]
    offsets[0] = 0.0
    if key != (a, b):
        offsets = [0.0, *reversed(offsets[1:])]
    (ax, ay), (bx, by) = a, b
    out = []
    for i in range(points):
        t = i / points
        x, y = (ax + (bx - ax) * t) * CELL, (ay + (by - ay) * t) * CELL
        # Across the edge: a vertical edge wiggles in x, a horizontal one in y.
        if ax == bx:
            x += offsets[i]
        else:
            y += offsets[i]
        out.append([x, y])
    return out


def jagged_grid(pcodes: list[str], columns: int, points_per_edge: int = 150) -> dict[str, Any]:
    """Squares whose edges carry many points, as detailed as a surveyed border: the size test's
    stand-in for a real COD-AB layer (which tests never ship)."""
    features = []
    for i, pcode in enumerate(pcodes):
        c, r = i % columns, i // columns
        corners = [(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)]
        ring: list[list[float]] = []
        for a, b in zip(corners, [*corners[1:], corners[0]], strict=True):
            ring += _edge(a, b, points_per_edge)
        ring.append(ring[0])
        features.append(feature(pcode, f"Synthétique {i + 1}", polygon(ring)))
    return collection(*features)


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
