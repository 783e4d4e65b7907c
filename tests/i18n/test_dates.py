"""Dates in each language: Jula (dyu) month and weekday names pinned from the project's locale data
(SIL Burkina Faso Dioula dictionary, see locales/GLOSSARY.md), and the weekday helper in general."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gateway.config import ROOT
from gateway.i18n.dates import day_month, weekday
from gateway.i18n.gsm7 import to_gsm7

LOCALES = ROOT / "locales"

# 2025: the 15th of each month, with its weekday.
DYU = [
    (date(2025, 1, 15), "15 zanwuye", "araba"),
    (date(2025, 2, 15), "15 fevuruye", "sibiri"),
    (date(2025, 3, 15), "15 marisi", "sibiri"),
    (date(2025, 4, 15), "15 avirili", "tarata"),
    (date(2025, 5, 15), "15 mɛ", "alamisa"),
    (date(2025, 6, 15), "15 zuwɛn", "kari"),
    (date(2025, 7, 15), "15 zuluye", "tarata"),
    (date(2025, 8, 15), "15 uti", "juma"),
    (date(2025, 9, 15), "15 sɛtanburu", "tɛnɛ"),
    (date(2025, 10, 15), "15 ɔtɔburu", "araba"),
    (date(2025, 11, 15), "15 novanburu", "sibiri"),
    (date(2025, 12, 15), "15 desanburu", "tɛnɛ"),
]


@pytest.mark.parametrize(("day", "expected_date", "expected_weekday"), DYU, ids=lambda v: str(v))
def test_dyu_dates(day: date, expected_date: str, expected_weekday: str) -> None:
    assert day_month(day, "dyu", LOCALES) == expected_date
    assert weekday(day, "dyu", LOCALES) == expected_weekday


@pytest.mark.parametrize(
    ("text", "gsm7"),
    [("15 ɔtɔburu", "15 òtòburu"), ("15 sɛtanburu", "15 sètanburu"), ("tɛnɛ", "tènè"), ("15 mɛ", "15 mè")],
)
def test_dyu_dates_as_sent(text: str, gsm7: str) -> None:
    assert to_gsm7(text, "dyu") == gsm7


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "vendredi"), ("bm", "juma"), ("dyu", "juma")],
)
def test_weekday_in_each_language(language: str, expected: str) -> None:
    assert weekday(date(2025, 8, 15), language, LOCALES) == expected


def test_a_language_without_names_has_no_weekday_and_digits_for_dates(tmp_path: Path) -> None:
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "locale.yaml").write_text(
        'day_month: "{day}/{month:02d}"\nmonths: null\n', encoding="utf-8"
    )
    assert weekday(date(2025, 8, 15), "xx", tmp_path) is None
    assert day_month(date(2025, 8, 15), "xx", tmp_path) == "15/08"


def test_weekday_names_must_be_seven(tmp_path: Path) -> None:
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "locale.yaml").write_text("weekdays: [a, b, c]\n", encoding="utf-8")
    assert weekday(date(2025, 8, 15), "xx", tmp_path) is None
