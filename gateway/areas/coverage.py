"""Which communes a committee covers, and which committees cover a commune."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.areas.directory import AreaDirectory
from gateway.areas.importer import LEVEL_COMMUNE


def communes_under(directory: AreaDirectory, area_ids: Iterable[int]) -> set[int]:
    out: set[int] = set()
    stack = list(area_ids)
    while stack:
        area_id = stack.pop()
        place = directory.get(area_id)
        if place is None:
            continue
        if place.level == LEVEL_COMMUNE:
            out.add(place.id)
        stack.extend(child.id for child in directory.children.get(place.id, []))
    return out


def area_and_ancestors(directory: AreaDirectory, area_id: int | None) -> list[int]:
    chain: list[int] = []
    place = directory.get(area_id)
    while place is not None and len(chain) < 10:
        chain.append(place.id)
        place = directory.get(place.parent_id)
    return chain
