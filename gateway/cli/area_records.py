"""Areas as `gateway areas list` shows them: in tree order (country, region, cercle/province,
commune), with their parent's name, aliases and P-code, filtered by country, level and place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.areas.importer import name_key
from gateway.areas.models import Area

LEVELS = {"region": 1, "cercle": 2, "province": 2, "commune": 3}
# Deeper than any real tree: a parent loop in hand-edited data cannot hang the listing.
_MAX_DEPTH = 8


@dataclass(frozen=True)
class AreaFilter:
    country: str | None = None
    level: int | None = None
    kind: str | None = None
    under: int | None = None  # an area's id: only what lies below it


def parse_level(text: str) -> tuple[int | None, str | None]:
    """`commune`, `cercle`, `province`, `region` (a kind), or 1, 2, 3 (a level)."""
    word = text.strip().lower()
    if word.isdigit() and int(word) in LEVELS.values():
        return int(word), None
    if word in LEVELS:
        return LEVELS[word], word
    raise ValueError(f"unknown level {text!r} (region, cercle, province, commune, or 1, 2, 3)")


def area_records(areas: Sequence[Area], where: AreaFilter) -> list[dict[str, object]]:
    by_id = {a.id: a for a in areas}

    def ancestors(area: Area) -> list[Area]:
        chain: list[Area] = []
        current = by_id.get(area.parent_id) if area.parent_id is not None else None
        while current is not None and len(chain) < _MAX_DEPTH:
            chain.append(current)
            current = by_id.get(current.parent_id) if current.parent_id is not None else None
        return chain

    def path(area: Area) -> tuple[str, ...]:
        return (area.country_code, *(name_key(a.name) for a in reversed([area, *ancestors(area)])))

    def below(area: Area, ancestor: int) -> bool:
        return any(a.id == ancestor for a in ancestors(area))

    chosen = [
        a
        for a in areas
        if (where.country is None or a.country_code == where.country)
        and (where.level is None or a.level == where.level)
        and (where.kind is None or a.kind == where.kind)
        and (where.under is None or below(a, where.under))
    ]
    return [
        {
            "id": a.id,
            "country": a.country_code,
            "level": a.level,
            "kind": a.kind,
            "name": a.name,
            "parent": by_id[a.parent_id].name if a.parent_id in by_id else None,
            "aliases": list(a.aliases or []),
            "pcode": a.pcode,
        }
        for a in sorted(chosen, key=path)
    ]
