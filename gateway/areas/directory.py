"""The area tree in memory: the USSD place menus read it on every hop, so it is not re-queried."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.csvfile import AreaRow
from gateway.areas.importer import LEVEL_COMMUNE, LEVEL_PROVINCE, LEVEL_REGION, name_key
from gateway.areas.models import Area

COUNTRY_ORDER = ("ML", "BF")


@dataclass(frozen=True)
class Place:
    id: int
    country: str
    level: int
    name: str
    parent_id: int | None
    # Other spellings, as stored ("alt:Bobo"); matched like the name.
    aliases: tuple[str, ...] = ()


@dataclass
class AreaDirectory:
    places: dict[int, Place] = field(default_factory=dict)
    children: dict[int | None, list[Place]] = field(default_factory=dict)
    # What other packages derive from this tree, which never changes once built (a reload builds
    # a new one): the USSD place menus, made once instead of at every hop (ussd/runtime.py).
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, places: list[Place]) -> AreaDirectory:
        directory = cls()
        for place in places:
            directory.places[place.id] = place
            directory.children.setdefault(place.parent_id, []).append(place)
        for siblings in directory.children.values():
            siblings.sort(key=lambda p: name_key(p.name))
        return directory

    @classmethod
    def from_rows(cls, rows: list[AreaRow]) -> AreaDirectory:
        """A directory straight from a CSV, for `flows check` (ids are made up, names are real)."""
        ids: dict[tuple[str, ...], int] = {}
        places: list[Place] = []

        def add(
            key: tuple[str, ...],
            country: str,
            level: int,
            name: str,
            parent: int | None,
            aliases: tuple[str, ...] = (),
        ) -> int:
            if key not in ids:
                ids[key] = len(ids) + 1
                places.append(Place(ids[key], country, level, name, parent, aliases))
            return ids[key]

        for row in rows:
            region = add((row.country, row.adm1), row.country, LEVEL_REGION, row.adm1, None)
            province = add((row.country, row.adm1, row.adm2), row.country, LEVEL_PROVINCE, row.adm2, region)
            commune_key = (row.country, row.adm1, row.adm2, row.adm3)
            add(commune_key, row.country, LEVEL_COMMUNE, row.adm3, province, row.aliases)
        return cls.build(places)

    def countries(self) -> list[str]:
        present = {p.country for p in self.places.values()}
        return [c for c in COUNTRY_ORDER if c in present] + sorted(present - set(COUNTRY_ORDER))

    def provinces(self, country: str) -> list[Place]:
        regions = [p for p in self.children.get(None, []) if p.country == country]
        out = [child for region in regions for child in self.children.get(region.id, [])]
        return sorted(out, key=lambda p: name_key(p.name))

    def communes(self, province_id: int) -> list[Place]:
        return list(self.children.get(province_id, []))

    def get(self, area_id: int | None) -> Place | None:
        return self.places.get(area_id) if area_id is not None else None


async def load_directory(session: AsyncSession) -> AreaDirectory:
    rows = await session.execute(
        select(Area.id, Area.country_code, Area.level, Area.name, Area.parent_id, Area.aliases).where(
            Area.active.is_(True)
        )
    )
    return AreaDirectory.build(
        [Place(r.id, r.country_code, r.level, r.name, r.parent_id, tuple(r.aliases or ())) for r in rows]
    )


class CachedDirectory:
    """Reloaded after `ttl` seconds, so an import in another process shows up without a restart."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._value: AreaDirectory | None = None
        self._loaded_at = 0.0

    async def get(self, session: AsyncSession) -> AreaDirectory:
        now = time.monotonic()
        if self._value is None or now - self._loaded_at > self.ttl:
            self._value = await load_directory(session)
            self._loaded_at = now
        return self._value

    def fresh(self) -> AreaDirectory | None:
        """The tree if it needs no reload now (a hop that must not query for it), else None."""
        if self._value is None or time.monotonic() - self._loaded_at > self.ttl:
            return None
        return self._value

    def invalidate(self) -> None:
        self._value = None
