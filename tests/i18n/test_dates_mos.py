"""Mooré dates, pinned from locales/mos/locale.yaml: "<month> kiuug rasem <day>" as the Burkina
press writes them (LAFAND-MT French-Mooré news, MediaWiki mos; locales/GLOSSARY.md, Mooré)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gateway.config import ROOT
from gateway.i18n.dates import day_month, weekday
from gateway.i18n.gsm7 import to_gsm7

LOCALES = ROOT / "locales"

# 2025: the 15th of each month, its weekday, and both as a phone shows them (GSM-7 spelling).
MOS = [
    (date(2025, 1, 15), "yʋʋm-vẽkr kiuug rasem 15", "arba", "yuum-venkr kiuug rasem 15"),
    (date(2025, 2, 15), "wao-fugdg kiuug rasem 15", "sibri", "wao-fugdg kiuug rasem 15"),
    (date(2025, 3, 15), "tʋʋlg kiuug rasem 15", "sibri", "tuulg kiuug rasem 15"),
    (date(2025, 4, 15), "tʋʋl-nif kiuug rasem 15", "talaata", "tuul-nif kiuug rasem 15"),
    (date(2025, 5, 15), "sig-noy kiuug rasem 15", "alkamisa", "sig-noy kiuug rasem 15"),
    (date(2025, 6, 15), "sigr kiuug rasem 15", "hata", "sigr kiuug rasem 15"),
    (date(2025, 7, 15), "sẽoog kiuug rasem 15", "talaata", "seoong kiuug rasem 15"),
    (date(2025, 8, 15), "sa-sik kiuug rasem 15", "arzũma", "sa-sik kiuug rasem 15"),
    (date(2025, 9, 15), "bõn-bɩʋʋng kiuug rasem 15", "tẽne", "bon-biuung kiuug rasem 15"),
    (date(2025, 10, 15), "zĩ-likr kiuug rasem 15", "arba", "zin-likr kiuug rasem 15"),
    (date(2025, 11, 15), "sɩpaolg kiuug rasem 15", "sibri", "sipaolg kiuug rasem 15"),
    (date(2025, 12, 15), "yʋʋm-sar kiuug rasem 15", "tẽne", "yuum-sar kiuug rasem 15"),
]


@pytest.mark.parametrize(("day", "expected", "day_name", "as_sent"), MOS, ids=lambda v: str(v))
def test_mos_dates(day: date, expected: str, day_name: str, as_sent: str) -> None:
    assert day_month(day, "mos", LOCALES) == expected
    assert weekday(day, "mos", LOCALES) == day_name
    assert to_gsm7(expected, "mos") == as_sent


def test_mos_weekdays_from_monday() -> None:
    # The week of Monday 21 June 2021: LAFAND's Mooré news name these days in June 2021 dates
    # ("tẽne wã daar … sigr kiuu rasem 14" = "le lundi 14 juin 2021"); Sunday's hata is the one
    # name MediaWiki does not share.
    names = [weekday(date(2021, 6, 21 + offset), "mos", LOCALES) for offset in range(7)]
    assert names == ["tẽne", "talaata", "arba", "alkamisa", "arzũma", "sibri", "hata"]
    assert [to_gsm7(str(name), "mos") for name in names] == [
        "tene",
        "talaata",
        "arba",
        "alkamisa",
        "arzuma",
        "sibri",
        "hata",
    ]


def test_a_pattern_naming_the_month_falls_back_to_digits_without_names(tmp_path: Path) -> None:
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "locale.yaml").write_text('day_month: "{month_name} rasem {day}"\n', encoding="utf-8")
    assert day_month(date(2025, 8, 15), "xx", tmp_path) == "15/08"
