"""Per-screen drop-off before and after the report flow's redesign (issue 14), on simulated callers,
read back with `gateway ussd stats --screens`.

A SIMULATION, not field figures: the same callers go through the flow as it was (kept in
tests/ussd/flows_before/) and as it is, through the full USSD service and the database. Each caller
has a patience, the number of screens they will answer before hanging up, drawn once from a
geometric law (a fixed chance of giving up on each screen, the same on every screen), and answers
every screen as a resident would: their language, their topic, their commune (paging through
communes in the old flow, typing the name in the new one). Both tables, as the command prints them:
    .venv/bin/pytest tests/ussd/test_drop_off.py -p no:randomly -o log_cli=true --log-cli-level=INFO
"""

from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from gateway.areas.importer import name_key
from gateway.areas.models import Area
from gateway.contacts.service import get_or_create_contact
from gateway.i18n.catalogs import Catalogs
from gateway.i18n.languages import CODES
from gateway.reports.service import TOPICS
from gateway.ussd.engine import Engine
from gateway.ussd.flows import load_flows
from gateway.ussd.runtime import ACTIONS, SOURCES
from gateway.ussd.service import HopContext, UssdRequest, UssdService
from gateway.wiring import Gateway
from tests.cli.runner import invoke_in_thread
from tests.helpers import empty_tables
from tests.security.logs import restored_logging

log = logging.getLogger(__name__)
BEFORE = Path(__file__).parent / "flows_before"
# The chance a caller gives up on any one screen: a model, not a measurement.
GIVE_UP = 0.07
CALLERS_PER_KIND = 10
COMMUNES = ("Zégoua", "Kourouma", "Bobo-Dioulasso", "Sindou", "Koutiala", "Finkolo", "Niangoloko", "Kléla")
LINE = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Caller:
    phone: str
    language: str
    returning: bool
    topic: str
    commune: str
    patience: int
    area_id: int = 0
    cercle: str = ""
    country: str = ""


def _callers(seed: int) -> list[Caller]:
    rng = random.Random(seed)
    out = []
    for language in CODES:
        for returning in (False, True):
            for n in range(CALLERS_PER_KIND):
                patience = 0
                while rng.random() >= GIVE_UP and patience < 40:
                    patience += 1
                commune = rng.choice(COMMUNES)
                phone = f"+2237640{CODES.index(language)}{int(returning)}{n:02d}"
                out.append(Caller(phone, language, returning, rng.choice(TOPICS), commune, patience))
    return out


def _pick(screen: str, *wanted: str) -> str:
    """The number of the line naming `wanted` on this page (the first of its forms found), or 99
    for the next page."""
    lines = LINE.findall(screen)
    for form in wanted:
        for number, label in lines:
            if name_key(label) == name_key(form):
                return number
    return "99"


def _answer(caller: Caller, screen_id: str, text: str) -> str:
    flow, _, screen = screen_id.partition(":")
    if screen == "choose_language":
        return str(CODES.index(caller.language) + 1)
    if screen == "home":
        return "1"
    if screen == "topic":
        number = str(TOPICS.index(caller.topic) + 1)
        return number if f"\n{number}. " in text else "99"
    if screen == "urgency":
        return "2"
    if screen == "place_country":
        return "1" if caller.returning else ("1" if caller.country == "ML" else "2")
    if screen in ("place_province", "place_cercle"):
        return _pick(text, caller.cercle)
    if screen in ("place_commune", "place_pick"):
        return _pick(text, f"{caller.commune} {caller.cercle}", caller.commune)
    if screen == "place_name":
        return caller.commune
    if screen == "description":
        return "Des hommes armés sur la route du marché"
    if screen == "anonymous":
        return "3"  # with my number
    if screen in ("subscribe_offer", "send"):
        return "2"
    return "1"  # confirm


async def _run(gateway: Gateway, service: UssdService, callers: list[Caller]) -> None:
    for caller in callers:
        if caller.returning:
            async with gateway.sessionmaker() as db, db.begin():
                contact = await get_or_create_contact(db, gateway.vault, caller.phone)
                contact.language, contact.home_area_id = caller.language, caller.area_id
        session_id, inputs, shown = f"SIM_{caller.phone}", [], 0
        while True:
            request = UssdRequest("simulator", session_id, caller.phone, "*".join(inputs), "*384*1234#")
            async with gateway.sessionmaker() as db, db.begin():
                reply = await service.handle(db, request, HopContext())
            shown += 1
            if reply.end or shown > caller.patience:
                break  # the reference, or the caller hung up on this screen
            inputs.append(_answer(caller, reply.screen, reply.text))


async def _stats(gateway: Gateway, as_json: bool) -> str:
    env = {
        "GATEWAY_DATABASE_URL": gateway.settings.database_url,
        "GATEWAY_SECRET_KEY": gateway.settings.require_secret_key(),
        "GATEWAY_LOG_LEVEL": "WARNING",
    }
    with restored_logging():  # the command sets up logging for its process: this test logs after it
        ran = await invoke_in_thread(env, "ussd", "stats", "--screens", *(["--json"] if as_json else []))
    assert ran.code == 0, ran.err
    return ran.out


async def test_drop_off_per_screen_before_and_after(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db:
        areas = {a.id: a for a in (await db.execute(select(Area))).scalars()}
    callers = []
    rng = random.Random(41)
    for caller in _callers(seed=14):
        commune = rng.choice([a for a in areas.values() if a.name == caller.commune and a.level == 3])
        cercle = areas[commune.parent_id or 0]
        found = {"area_id": commune.id, "cercle": cercle.name, "country": commune.country_code}
        callers.append(Caller(**{**caller.__dict__, **found}))
    # Catalogs of its own: the old screens' messages are gone, and the shared ones record what is missing.
    catalogs = Catalogs(gateway.settings.locales_dir)
    before_engine = Engine(load_flows(BEFORE, ACTIONS, SOURCES), catalogs, gateway.engine.limit, "fr")
    figures = {}
    for label, engine in (("before", before_engine), ("after", gateway.engine)):
        service = UssdService(
            engine,
            gateway.vault,
            gateway.pseudonyms,
            gateway.directory,
            gateway.outbox,
            gateway.notifier,
            resume_window_s=0,
            flood_sessions_per_min=1000,
        )
        await _run(gateway, service, callers)
        table = await _stats(gateway, as_json=False)
        log.info("%s: gateway ussd stats --screens (simulated callers)\n%s", label, table)
        figures[label] = [json.loads(line) for line in (await _stats(gateway, as_json=True)).splitlines()]
        async with gateway.sessionmaker() as db, db.begin():
            await empty_tables(db)

    def reported(label: str) -> int:
        return sum(r["reported"] for r in figures[label] if r["kind"] == "reports")

    def most(label: str) -> int:
        return max(r["most_screens"] or 0 for r in figures[label] if r["kind"] == "reports")

    assert reported("after") > reported("before")
    assert most("before") > 8  # twelve screens and more, pages of communes included
    # 8 at most, and one more where the typed name is one two communes share (Kourouma): the short
    # list to pick from.
    assert most("after") <= 9
    left_before = {r["screen"] for r in figures["before"] if r["kind"] == "left"}
    assert {"report:place_commune", "report:confirm"} & left_before  # screens that no longer exist
    assert all(
        not r["screen"].startswith(("report:place_country", "report:anonymous", "report:confirm"))
        for r in figures["after"]
        if r["kind"] == "left"
    )
