"""`flows check` names flow, screen and language for each broken screen."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from gateway.areas.csvfile import read_rows
from gateway.areas.directory import AreaDirectory
from gateway.config import ROOT, load_settings
from gateway.i18n.catalogs import Catalogs
from gateway.ussd.check import check_flows
from gateway.wiring import build_engine

DIRECTORY = AreaDirectory.from_rows(read_rows(ROOT / "data" / "areas" / "border_areas.csv"))


def _engine_with(tmp_path: Path, language: str, replace: tuple[str, str]) -> tuple[object, Catalogs]:
    """The project's flows with one catalog edited: `replace` is a (regex, replacement) pair."""
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    po = locales / language / "LC_MESSAGES" / "messages.po"
    text, count = re.subn(replace[0], replace[1], po.read_text(encoding="utf-8"), count=1)
    assert count == 1
    po.write_text(text, encoding="utf-8")
    settings = load_settings(_env_file=None, locales_dir=locales)
    engine = build_engine(settings)
    return engine, engine.catalogs


async def test_project_flows_have_no_errors() -> None:
    engine = build_engine(load_settings(_env_file=None))
    problems = await check_flows(engine, engine.catalogs, DIRECTORY)
    assert [str(p) for p in problems if not p.warning] == []


async def test_too_long_screen_is_named(tmp_path: Path) -> None:
    engine, catalogs = _engine_with(
        tmp_path, "bm", (r'(msgid "report.urgency.prompt"\nmsgstr ")', r"\1" + "x" * 150)
    )
    problems = await check_flows(engine, catalogs, DIRECTORY, ("bm",))  # type: ignore[arg-type]
    assert any(
        p.flow == "report" and p.screen == "urgency" and p.language == "bm" and "over the limit" in p.message
        for p in problems
    )


async def test_character_without_gsm7_spelling_is_named(tmp_path: Path) -> None:
    engine, catalogs = _engine_with(tmp_path, "fr", (r'msgstr "Commune:"', 'msgstr "Commune ☎:"'))
    problems = await check_flows(engine, catalogs, DIRECTORY, ("fr",))  # type: ignore[arg-type]
    named = sorted((p.flow, p.screen, p.warning) for p in problems if "GSM-7" in p.message)
    assert named == [("notices", "commune", False), ("report", "place_commune", False)]


async def test_missing_translation_is_an_error_unless_marked(tmp_path: Path) -> None:
    engine, catalogs = _engine_with(
        tmp_path, "dyu", (r'(msgid "report.place.commune"\nmsgstr )".*"', r'\1""')
    )
    problems = await check_flows(engine, catalogs, DIRECTORY, ("dyu",))  # type: ignore[arg-type]
    errors = [p for p in problems if not p.warning]
    assert any(p.screen == "place_commune" and "shows the bm text" in p.message for p in errors)


async def test_placeholder_mismatch_is_named(tmp_path: Path) -> None:
    engine, catalogs = _engine_with(tmp_path, "bm", (r'(msgstr ".*)\{reference\}', r"\1{referense}"))
    problems = await check_flows(engine, catalogs, DIRECTORY, ("bm",))  # type: ignore[arg-type]
    assert any("placeholders" in p.message and p.language == "bm" for p in problems)
