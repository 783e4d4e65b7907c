"""Screens for review sheets, and the length limit each message gets from them: a text within
its limit keeps its screen within `flows check`'s rules; one character more breaks it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from gateway.areas.csvfile import read_rows
from gateway.areas.directory import AreaDirectory
from gateway.config import ROOT, load_settings
from gateway.i18n.catalogs import by_key
from gateway.i18n.display import derive_limits
from gateway.i18n.gsm7 import septets, to_gsm7
from gateway.ussd.check import check_flows
from gateway.ussd.review_screens import render_screens
from gateway.ussd.schema import EndScreen, MenuScreen
from gateway.wiring import build_engine

DIRECTORY = AreaDirectory.from_rows(read_rows(ROOT / "data" / "areas" / "border_areas.csv"))


async def test_every_screen_is_shown_with_the_messages_on_it() -> None:
    engine = build_engine(load_settings(_env_file=None))
    displays = await render_screens(engine, DIRECTORY, "bm")
    screens = {str(ref) for ref, screen in engine.flows.all_screens() if screen.type != "router"}
    assert {d.where for d in displays} == screens
    assert {d.where for d in displays if d.on_sheet} == screens
    for display in displays:
        assert display.text == to_gsm7(display.text, "bm")  # as the phone gets it
        if display.units <= display.budget:
            assert septets(display.text) == display.units
        for part in display.parts:
            assert part.slack <= display.budget


def _edited_engine(tmp_path: Path, language: str, msgid: str, text: str):  # type: ignore[no-untyped-def]
    locales = tmp_path / "locales"
    if not locales.exists():
        shutil.copytree(ROOT / "locales", locales)
    po = locales / language / "LC_MESSAGES" / "messages.po"
    pattern = rf'((?:^|\n)msgid "{re.escape(msgid)}"\nmsgstr )"(?:[^"\\]|\\.)*"'
    edited, count = re.subn(pattern, lambda m: f'{m.group(1)}"{text}"', po.read_text("utf-8"), count=1)
    assert count == 1, msgid
    po.write_text(edited, encoding="utf-8")
    return build_engine(load_settings(_env_file=None, locales_dir=locales))


async def test_an_end_screen_text_at_its_limit_fits_and_one_more_does_not(tmp_path: Path) -> None:
    engine = build_engine(load_settings(_env_file=None))
    limits = derive_limits(await render_screens(engine, DIRECTORY, "bm"), {})
    catalog = by_key(engine.catalogs.catalogs["bm"])
    ref, msgid = next(
        (ref, screen.text)
        for ref, screen in engine.flows.all_screens()
        if isinstance(screen, EndScreen) and "{" not in str(catalog[screen.text].string)
    )
    at_limit = _edited_engine(tmp_path, "bm", msgid, "x" * limits[msgid])
    problems = await check_flows(at_limit, at_limit.catalogs, DIRECTORY, ("bm",))
    assert not [p for p in problems if p.screen == ref.screen and "over the limit" in p.message]
    over = _edited_engine(tmp_path, "bm", msgid, "x" * (limits[msgid] + 1))
    problems = await check_flows(over, over.catalogs, DIRECTORY, ("bm",))
    assert [p for p in problems if p.screen == ref.screen and "over the limit" in p.message]


async def test_a_menu_option_past_its_limit_pushes_the_menu_onto_another_page(tmp_path: Path) -> None:
    engine = build_engine(load_settings(_env_file=None))
    displays = await render_screens(engine, DIRECTORY, "bm")
    limits = derive_limits(displays, {})
    paged = {d.where for d in displays if any(p.msgid == "ussd.nav.more" for p in d.parts)}
    ref, option = next(
        (ref, screen.options[0].label)
        for ref, screen in engine.flows.all_screens()
        if isinstance(screen, MenuScreen) and screen.options and str(ref) not in paged
    )

    async def offers_more(text: str) -> bool:
        shown = await render_screens(_edited_engine(tmp_path, "bm", option, text), DIRECTORY, "bm")
        return any(d.where == str(ref) and any(p.msgid == "ussd.nav.more" for p in d.parts) for d in shown)

    assert not await offers_more("x" * limits[option])
    assert await offers_more("x" * (limits[option] + 1))  # with the "invalid choice" hint, at least
