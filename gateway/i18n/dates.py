"""Dates as each language writes them: Babel (CLDR) for fr and bm, the project's own locale data
(locales/<code>/locale.yaml) for dyu and mos, which CLDR lacks."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

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
