"""Reading area lists: the bundled border_areas.csv and COD-AB style exports (ADM1_FR, ADM2_PCODE …)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

COUNTRY_NAMES = {"mali": "ML", "burkina faso": "BF", "burkina": "BF"}


class AreaFileError(ValueError):
    pass


@dataclass(frozen=True)
class AreaRow:
    """One commune with the region and cercle/province above it."""

    country: str
    adm1: str
    adm1_pcode: str | None
    adm2: str
    adm2_pcode: str | None
    adm2_kind: str
    adm3: str
    adm3_pcode: str | None
    aliases: tuple[str, ...] = field(default=())


def read_rows(path: Path) -> list[AreaRow]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return parse_rows(csv.DictReader(handle), source=path.name)
    except UnicodeDecodeError:
        raise AreaFileError(f"{path.name}: not UTF-8 text") from None
    except csv.Error as exc:
        raise AreaFileError(f"{path.name}: {exc}") from None


# COD-AB's older schema (admin1Pcode, admin1Name_fr…; still the one of some countries' files) read
# as its current one; where a file has several names, the French one first.
OLDER_COLUMNS = tuple(
    (f"ADMIN{n}{old}", f"ADM{n}_{new}")
    for n in range(4)
    for old, new in (
        ("PCODE", "PCODE"),
        ("PCOD", "PCODE"),
        ("NAME_FR", "FR"),
        ("NAME", "FR"),
        ("REFNAME", "FR"),
    )
)


def parse_rows(reader: csv.DictReader[str], source: str = "input") -> list[AreaRow]:
    fields = {name.strip().upper(): name for name in reader.fieldnames or []}
    for older, current in OLDER_COLUMNS:
        if older in fields:
            fields.setdefault(current, fields[older])
    required = ("ADM1_FR", "ADM2_FR", "ADM3_FR")
    missing = [name for name in required if name not in fields]
    if missing:
        raise AreaFileError(f"{source}: missing column(s) {', '.join(missing)}")

    def get(raw: dict[str, str | None], column: str) -> str:
        key = fields.get(column)
        value = raw.get(key) if key else None
        return (value or "").strip()

    rows: list[AreaRow] = []
    for line, raw in enumerate(reader, start=2):
        country = _country(get(raw, "ADM0_PCODE"), get(raw, "ADM0_FR"), get(raw, "ADM1_PCODE"))
        if country is None:
            raise AreaFileError(f"{source}:{line}: cannot tell the country (ADM0_PCODE or ADM0_FR)")
        names = (get(raw, "ADM1_FR"), get(raw, "ADM2_FR"), get(raw, "ADM3_FR"))
        if not all(names):
            raise AreaFileError(f"{source}:{line}: ADM1_FR, ADM2_FR and ADM3_FR must not be empty")
        kind = get(raw, "ADM2_TYPE").lower() or ("cercle" if country == "ML" else "province")
        rows.append(
            AreaRow(
                country=country,
                adm1=names[0],
                adm1_pcode=get(raw, "ADM1_PCODE") or None,
                adm2=names[1],
                adm2_pcode=get(raw, "ADM2_PCODE") or None,
                adm2_kind=kind,
                adm3=names[2],
                adm3_pcode=get(raw, "ADM3_PCODE") or None,
                aliases=tuple(a.strip() for a in get(raw, "ADM3_ALIASES").split(";") if a.strip()),
            )
        )
    return rows


def _country(pcode: str, name: str, adm1_pcode: str) -> str | None:
    for candidate in (pcode, adm1_pcode):
        prefix = candidate[:2].upper()
        if prefix in ("ML", "BF"):
            return prefix
    return COUNTRY_NAMES.get(name.strip().lower())


def alias_names(aliases: Iterable[str]) -> list[str]:
    """'bm:Sikaso' -> 'Sikaso'."""
    return [alias.split(":", 1)[-1].strip() for alias in aliases]
