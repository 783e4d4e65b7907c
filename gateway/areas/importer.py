"""Loading area rows into the database, matching what is already there so reports keep their areas.

Written against a synchronous Connection so the same code seeds the database from a migration
and runs under `gateway areas import` (through AsyncConnection.run_sync).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from gateway.areas.csvfile import AreaRow, alias_names
from gateway.areas.models import Area

LEVEL_REGION, LEVEL_PROVINCE, LEVEL_COMMUNE = 1, 2, 3


def name_key(name: str) -> str:
    """Finkolo-Ganadougou, FINKOLO GANADOUGOU and Finkolo Ganadougou match; accents do not matter."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in letters).split())


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class _Known:
    id: int
    pcode: str | None
    aliases: list[str]
    name: str


class _Index:
    def __init__(self, connection: Connection) -> None:
        self.by_pcode: dict[str, _Known] = {}
        self.by_name: dict[tuple[str, int, int | None, str], _Known] = {}
        for row in connection.execute(
            select(
                Area.id,
                Area.country_code,
                Area.level,
                Area.parent_id,
                Area.name,
                Area.pcode,
                Area.aliases,
            )
        ):
            self.add(
                row.country_code,
                row.level,
                row.parent_id,
                row.name,
                row.id,
                row.pcode,
                list(row.aliases or []),
            )

    def add(
        self,
        country: str,
        level: int,
        parent: int | None,
        name: str,
        id_: int,
        pcode: str | None,
        aliases: list[str],
    ) -> _Known:
        known = _Known(id_, pcode, aliases, name)
        if pcode:
            self.by_pcode[pcode] = known
        for key in {name, *alias_names(aliases)}:
            self.by_name.setdefault((country, level, parent, name_key(key)), known)
        return known

    def find(
        self,
        country: str,
        level: int,
        parent: int | None,
        name: str,
        pcode: str | None,
        aliases: tuple[str, ...],
    ) -> _Known | None:
        if pcode and pcode in self.by_pcode:
            return self.by_pcode[pcode]
        for key in (name, *alias_names(aliases)):
            found = self.by_name.get((country, level, parent, name_key(key)))
            if found:
                return found
        return None


def import_rows(connection: Connection, rows: list[AreaRow]) -> ImportResult:
    index = _Index(connection)
    result = ImportResult()
    seen: set[int] = set()

    def upsert(
        country: str,
        level: int,
        kind: str,
        parent: int | None,
        name: str,
        pcode: str | None,
        aliases: tuple[str, ...] = (),
    ) -> int:
        known = index.find(country, level, parent, name, pcode, aliases)
        if known is None:
            new_id = connection.execute(
                insert(Area)
                .values(
                    country_code=country,
                    level=level,
                    kind=kind,
                    parent_id=parent,
                    name=name,
                    pcode=pcode,
                    aliases=list(aliases),
                    active=True,
                )
                .returning(Area.id)
            ).scalar_one()
            index.add(country, level, parent, name, new_id, pcode, list(aliases))
            result.created += 1
            seen.add(new_id)
            return new_id
        if known.id in seen:
            return known.id
        seen.add(known.id)
        merged = known.aliases + [a for a in aliases if a not in known.aliases]
        changes: dict[str, object] = {}
        if pcode and known.pcode != pcode:
            changes["pcode"] = pcode
        if merged != known.aliases:
            changes["aliases"] = merged
        if changes:
            connection.execute(update(Area).where(Area.id == known.id).values(**changes))
            known.aliases = merged
            known.pcode = pcode or known.pcode
            result.updated += 1
        else:
            result.unchanged += 1
        return known.id

    for row in rows:
        region = upsert(row.country, LEVEL_REGION, "region", None, row.adm1, row.adm1_pcode)
        province = upsert(row.country, LEVEL_PROVINCE, row.adm2_kind, region, row.adm2, row.adm2_pcode)
        upsert(row.country, LEVEL_COMMUNE, "commune", province, row.adm3, row.adm3_pcode, row.aliases)
    return result
