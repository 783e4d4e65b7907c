"""Issue 14: a report takes at most 8 screens from the dial to its reference for a first-time caller,
and at most 6 for a caller whose language and usual commune are known, in every language.

The journeys (tests/ussd/journeys/<lang>.yaml) are transcripts, posted as Africa's Talking posts
them: one step is one screen, and each lists what that screen must show (message ids, rendered in
the language's catalog and GSM-7 spelling, or literal text). A sweep then walks every topic in
every language both ways, with "99" counted as a screen wherever a menu runs over a page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from gateway.areas.models import Area
from gateway.broadcasts.models import Subscription
from gateway.contacts.service import get_or_create_contact
from gateway.i18n.gsm7 import is_gsm7, septets, to_gsm7
from gateway.i18n.languages import CODES
from gateway.i18n.text import fill
from gateway.reports.models import Report
from gateway.reports.service import TOPICS
from gateway.wiring import Gateway
from tests.helpers import UssdCaller

FIRST_TIME, RETURNING = 8, 6
JOURNEYS = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted((Path(__file__).parent / "journeys").glob("*.yaml"))
}
CASES = [(language, name) for language, script in JOURNEYS.items() for name in script["journeys"]]
# The topics whose urgency is asked (flows/report.yaml): the others go straight to the place.
ASKS_URGENCY = ("security_incident", "community_conflict")


async def known_caller(gateway: Gateway, phone: str, language: str, commune: str) -> None:
    """A caller the gateway knows: their language, and the commune of an earlier named report."""
    async with gateway.sessionmaker() as db, db.begin():
        area = (await db.execute(select(Area).where(Area.name == commune, Area.level == 3))).scalar_one()
        contact = await get_or_create_contact(db, gateway.vault, phone)
        contact.language, contact.home_area_id = language, area.id


def expected(gateway: Gateway, language: str, item: str | dict[str, Any]) -> str:
    tr = gateway.engine.catalogs.translator(language)
    if isinstance(item, dict):
        if "text" in item:
            return to_gsm7(item["text"], language)
        values = {k: str(v) for k, v in item.get("with", {}).items()}
        return to_gsm7(fill(tr.gettext(item["msg"]), values), language)
    return to_gsm7(tr.gettext(item), language)


def test_the_journeys_cover_every_language_both_ways() -> None:
    assert sorted(JOURNEYS) == sorted(CODES)
    for language, script in JOURNEYS.items():
        kinds = {"known" in journey for journey in script["journeys"].values()}
        assert kinds == {False, True}, f"{language}: a first-time and a returning journey"


@pytest.mark.parametrize(("language", "name"), CASES, ids=[f"{lang}-{name}" for lang, name in CASES])
async def test_a_report_within_the_screen_budget(
    client: httpx.AsyncClient, gateway: Gateway, language: str, name: str
) -> None:
    journey = JOURNEYS[language]["journeys"][name]
    known = journey.get("known")
    if known:
        await known_caller(gateway, journey["phone"], known["language"], known["usual"])
    caller = UssdCaller(client, journey["phone"])
    screens: list[str] = []
    for number, step in enumerate(journey["steps"], 1):
        if step["send"] is None:
            screen = await caller.dial(*([str(journey["dial"])] if "dial" in journey else []))
        else:
            screen = await caller.send(str(step["send"]))
        screens.append(screen)
        kind, body = screen[:3], screen[4:]
        assert kind == step.get("kind", "CON"), f"step {number}: {screen}"
        assert is_gsm7(body), f"step {number}: {body}"
        assert septets(body) <= gateway.settings.ussd_screen_limit, f"step {number}: {body}"
        for item in step.get("shows", []):
            assert expected(gateway, language, item) in body, f"step {number}: {item!r} not in {body!r}"

    budget = RETURNING if known else FIRST_TIME
    assert len(screens) <= budget, f"{len(screens)} screens from the dial to the reference"
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report))).scalar_one()
        area = await db.get(Area, report.area_id)
        subscriptions = list((await db.execute(select(Subscription))).scalars())
    assert report.reference in screens[-1]
    assert report.language == language
    wanted = dict(journey["report"])
    assert area is not None
    assert area.name == wanted.pop("area")
    for key, value in wanted.items():
        assert getattr(report, key) == value, key
    assert (report.contact_id is None) == report.anonymous
    assert [s.area_id for s in subscriptions] == ([area.id] if journey.get("subscribed") else [])


async def _walk(caller: UssdCaller, language: str, known: bool, topic: int, commune: str) -> list[str]:
    """A report of the topic numbered `topic`, answering each screen as a caller would; a menu
    option not on the page shown is reached with 99, and that screen counts too."""
    screens = [await caller.dial()]

    async def choose(number: int) -> None:
        for _ in range(5):
            if f"\n{number}. " in screens[-1]:
                break
            screens.append(await caller.send("99"))
        screens.append(await caller.send(str(number)))

    if not known:
        await choose(CODES.index(language) + 1)
    await choose(1)  # report a problem
    await choose(topic)
    if TOPICS[topic - 1] in ASKS_URGENCY:
        await choose(1)
    if not known:
        screens.append(await caller.send(commune))
    screens.append(await caller.send("Trois motos volées la nuit"))
    await choose(2)  # with my number
    return screens


@pytest.mark.parametrize("language", CODES)
async def test_every_topic_within_the_budget_in_every_language(
    client: httpx.AsyncClient, gateway: Gateway, language: str
) -> None:
    counts = {}
    for known in (False, True):
        for topic in range(1, len(TOPICS) + 1):
            phone = f"+2237650{CODES.index(language)}{int(known)}{topic:02d}"
            if known:
                await known_caller(gateway, phone, language, "Zégoua")
            screens = await _walk(UssdCaller(client, phone), language, known, topic, "Zegoua")
            assert screens[-1].startswith("END "), screens[-1]
            assert "R-" in screens[-1], screens[-1]
            counts[(known, TOPICS[topic - 1])] = len(screens)
    over = {key: n for key, n in counts.items() if n > (RETURNING if key[0] else FIRST_TIME)}
    assert over == {}, counts


def test_the_new_screens_are_translated_in_every_language(gateway: Gateway) -> None:
    """No screen of the new steps mixes languages: each of their messages is in the language's own
    catalog, not shown through the fallback chain."""
    flows = gateway.engine.flows
    ids = {"report.confirm.cancel"}
    for name in ("place_name", "place_pick", "place_cercle", "place_commune", "send"):
        screen = flows.flows["report"].screens[name]
        ids.add(screen.text)  # type: ignore[union-attr]
        ids.update(o.label for o in getattr(screen, "options", []))
        ids.update(b.hint for b in getattr(screen, "branches", {}).values() if b.hint)
    for code in CODES:
        catalog = gateway.engine.catalogs.catalogs[code]
        missing = sorted(msgid for msgid in ids if not (catalog.get(msgid) and catalog.get(msgid).string))
        assert missing == [], code
