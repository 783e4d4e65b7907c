"""The web simplifier's promises, for any ring: it keeps a subset of the input's points in order,
stays closed, keeps at least 4 points, and keeps every point that strays past the tolerance."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.areas.boundaries_geometry import (
    from_json,
    read_geometry,
    rounded,
    simplify,
    simplify_ring,
    to_json,
    vertex_count,
)

coordinate = st.floats(min_value=-5, max_value=5, allow_nan=False, allow_infinity=False)
point = st.tuples(coordinate, coordinate)
# Closed rings of 4 to 200 points, repeated points and slivers included.
ring = st.lists(point, min_size=3, max_size=200).map(lambda ps: [*ps, ps[0]])
tolerance = st.floats(min_value=0, max_value=3)


def _is_ordered_subset(small: list[tuple[float, float]], big: list[tuple[float, float]]) -> bool:
    found = iter(big)
    return all(any(p == q for q in found) for p in small)


@given(ring, tolerance)
def test_a_simplified_ring_keeps_its_promises(points: list[tuple[float, float]], tol: float) -> None:
    out = simplify_ring(points, tol)
    assert len(out) >= 4
    assert out[0] == out[-1]
    assert set(out) <= set(points)
    assert _is_ordered_subset(out[:-1], points[:-1])
    assert len(out) <= len(points)


@given(ring)
def test_zero_tolerance_keeps_every_corner(points: list[tuple[float, float]]) -> None:
    out = simplify_ring(points, 0)
    kept = set(out)
    # Any dropped point lies on the line between the points kept around it.
    for p in points:
        if p not in kept:
            assert any(math.dist(p, q) < 1e-9 for q in kept) or _on_kept_line(p, out)


def _on_kept_line(p: tuple[float, float], out: list[tuple[float, float]]) -> bool:
    from gateway.areas.boundaries_geometry import _distance

    return any(_distance(p, a, b) < 1e-9 for a, b in zip(out, out[1:], strict=False))


@given(ring, st.floats(min_value=0.001, max_value=1))
def test_no_kept_line_strays_from_a_dropped_point_past_the_tolerance(
    points: list[tuple[float, float]], tol: float
) -> None:
    from gateway.areas.boundaries_geometry import _distance

    out = simplify_ring(points, tol)
    for p in points:
        # Douglas–Peucker's bound: every input point is within tol of the simplified outline.
        assert min(_distance(p, a, b) for a, b in zip(out, out[1:], strict=False)) <= tol + 1e-9


def test_a_detailed_square_becomes_its_four_corners() -> None:
    side = [(i / 100, 0.0) for i in range(100)]
    square = (
        side
        + [(1.0, i / 100) for i in range(100)]
        + [(1 - i / 100, 1.0) for i in range(100)]
        + [(0.0, 1 - i / 100) for i in range(100)]
    )
    out = simplify_ring([*square, square[0]], 0.01)
    assert sorted(set(out)) == [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]


def test_tiny_islands_and_holes_go_but_never_the_largest_polygon() -> None:
    big = [[(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)], [(0.4, 0.4), (0.4, 0.4001), (0.4001, 0.4), (0.4, 0.4)]]
    island = [[(2, 2), (2.0001, 2), (2, 2.0001), (2, 2)]]
    out = simplify([big, island], 0.01)  # type: ignore[list-item]
    assert out == [[big[0]]]
    assert simplify([island], 0.01) == [island]  # type: ignore[list-item]


@pytest.mark.parametrize("decimals", [5, 3])
def test_rounding_keeps_rings_closed_and_valid(decimals: int) -> None:
    shape = read_geometry(
        {
            "type": "Polygon",
            "coordinates": [[[0.123456, 0], [0.5, 0.0000001], [0.5, 0.5], [0, 0.5], [0.123456, 0]]],
        }
    )
    out = rounded(shape, decimals)
    assert out[0][0][0] == out[0][0][-1]
    assert vertex_count(out) >= 4
    assert from_json(to_json(out)) == out
    assert " " not in to_json(out)
