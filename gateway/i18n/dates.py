"""Dates as each language writes them: Babel (CLDR) for fr and bm, the project's own locale data
(locales/<code>/locale.yaml: month and weekday names) for dyu and mos, which CLDR lacks; and the
time zones they are read in."""

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
    """14 août / 14 uti (Babel); 14/08 or, once a reviewer supplies month names, 14 <name>, or
    the locale's `day_month` pattern when it places the name itself ("{month_name} rasem {day}")."""
    if language in CLDR:
        return str(format_date(day, "d MMMM", locale=CLDR[language]))
    data = own_locale_data(locales_dir, language)
    months = data.get("months")
    pattern = str(data.get("day_month") or "{day}/{month:02d}")
    if isinstance(months, list) and len(months) == 12:
        name = str(months[day.month - 1])
        if "{month_name}" not in pattern:
            return f"{day.day} {name}"
        return pattern.format(day=day.day, month=day.month, month_name=name, year=day.year)
    if "{month_name}" in pattern:  # names removed but the pattern still wants one: digits
        pattern = "{day}/{month:02d}"
    return pattern.format(day=day.day, month=day.month, year=day.year)


def weekday(day: date, language: str, locales_dir: Path) -> str | None:
    """The day's name (juma, vendredi, ...): Babel for fr and bm, `weekdays` (seven names, Monday
    first) in locales/<code>/locale.yaml otherwise; None when a language has no names yet, so the
    caller can leave the weekday out rather than show one in another language."""
    if language in CLDR:
        return str(format_date(day, "EEEE", locale=CLDR[language]))
    names = own_locale_data(locales_dir, language).get("weekdays")
    if isinstance(names, list) and len(names) == 7:
        return str(names[day.weekday()])
    return None


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
