"""Areas by the names people write: name or alias, accents and case aside, a level or a parent to
settle a name used twice ('commune:Kadiolo', 'Kourouma, Kénédougou')."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.importer import name_key
from gateway.areas.models import Area


class AreaLookupError(ValueError):
    """No area, or more than one, by that name; the message says what to write."""


KINDS = ("region", "cercle", "province", "commune")


async def find_areas(db: AsyncSession, names: list[str]) -> list[Area]:
    """Areas by name or alias, accents and case aside. 'commune:Kadiolo' or 'cercle:Kadiolo' picks
    the level, 'Kourouma, Kénédougou' the parent; an ambiguous or unknown name is an error."""
    areas = (await db.execute(select(Area).where(Area.active.is_(True)))).scalars().all()
    by_id = {a.id: a for a in areas}
    found: list[Area] = []
    for spec in names:
        prefix, colon, rest = spec.partition(":")
        kind = prefix.strip().lower() if colon and prefix.strip().lower() in KINDS else ""
        name, _, parent = (rest if kind else spec).partition(",")
        key, parent_key = name_key(name), name_key(parent)
        matches = [
            a
            for a in areas
            if (name_key(a.name) == key or key in {name_key(x.split(":", 1)[-1]) for x in a.aliases})
            and (not kind or a.kind == kind)
            and (not parent_key or (a.parent_id in by_id and name_key(by_id[a.parent_id].name) == parent_key))
        ]
        if not matches:
            raise AreaLookupError(f"unknown area {spec!r}")
        if len(matches) > 1:
            options = "; ".join(
                f"{a.kind}:{a.name}" + (f", {by_id[a.parent_id].name}" if a.parent_id in by_id else "")
                for a in matches
            )
            raise AreaLookupError(f"area {spec!r} is ambiguous: write one of {options}")
        found.append(matches[0])
    return found
