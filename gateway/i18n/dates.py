"""Dates as each language writes them: Babel (CLDR) for fr and bm, the project's own locale data
(locales/<code>/locale.yaml) for dyu and mos, which CLDR lacks; and the time zones they are read in."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import yaml
from babel.dates import format_date

CLDR = {"fr": "fr", "bm": "bm"}


@lru_cache(maxsize=8)
def own_locale_data(locales_dir: Path, language: str) -> dict[str, Any]:
    path = locales_dir / language / "locale.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def day_month(day: date, language: str, locales_dir: Path) -> str:
    """14 août / 14 uti (Babel); 14/08 or, once a reviewer supplies month names, 14 <name>."""
    if language in CLDR:
        return str(format_date(day, "d MMMM", locale=CLDR[language]))
    data = own_locale_data(locales_dir, language)
    months = data.get("months")
    if isinstance(months, list) and len(months) == 12:
        return f"{day.day} {months[day.month - 1]}"
    pattern = str(data.get("day_month") or "{day}/{month:02d}")
    return pattern.format(day=day.day, month=day.month, year=day.year)


# Files in the zone directory that ZoneInfo opens but that name no place.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone called `name`; ValueError naming it otherwise.

    Checked against the list of zones, not just opened: ZoneInfo also opens files of the zone
    directory that name no place (`localtime`, whose meaning depends on the machine)."""
    if name not in _iana_names():
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Africa/Bamako or Africa/Ouagadougou"
        )
    return ZoneInfo(name)
