"""The words a committee member sees in the console have a Bambara and a Jula draft.

The list is not written by hand: a committee member's browser goes through every page and state the
role reaches (an invitation and its refusals, sign-in, the overview with its map, the inbox and its
refused filters, a report with its history and refused forms, their committee's page and summary
preview, the refusal and "not here" pages, sign-out) while every text the pages ask the catalogs for
is recorded (`gateway.web.pages.texts`, the `_` of every template and handler). Each recorded id must
have a draft in bm and dyu, or be left empty on purpose with a `# TODO(review)` comment saying why
(docs/translation.md). A new text on these pages fails this test until it is drafted or so marked."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Message
from sqlalchemy import delete, select, update

import gateway.web.overview as overview_page
import gateway.web.pages as pages
import gateway.web.reports as reports_page
from gateway.accounts.invitations import invite
from gateway.areas.models import Area
from gateway.committees.models import Committee, CommitteeArea, CommitteeMember
from gateway.committees.service import NewMember, add_member
from gateway.config import ROOT
from gateway.i18n.catalogs import Translator, by_key, po_path, read_catalog
from gateway.i18n.flags import is_translated, is_unreviewed
from gateway.i18n.languages import SOURCE_LANGUAGE
from gateway.outbox.health import StateView
from gateway.reports.models import Report, ReportEvent
from gateway.reports.stats import CountsCache
from gateway.web.language import CONSOLE_LANGUAGES, LANGUAGE_COOKIE
from gateway.wiring import Gateway
from tests.accounts.helpers import PASSWORD, START, Console, console_for, keys, make_user
from tests.areas.boundary_pcodes import synthetic_pcodes
from tests.areas.synthetic_boundaries import grid, write
from tests.helpers import MakeCommittee, MakeReport
from tests.web.test_console_map import load

LOCALES = ROOT / "locales"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
DRAFTED_IN = ("bm", "dyu")
# The committee's areas: one of each kind the page names (a region, a cercle, a province, a commune).
AREAS = ["region:Cascades", "cercle:Kadiolo", "province:Houet", "commune:Kignan"]
# Texts only an organiser is shown: a committee member's pages must never ask for them.
ORGANISER_ONLY = ("console.report.place_form", "console.map.howto", "console.committees.page.add")

Seen = set[str]


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    """Every msgid a console page or handler asks the catalogs for, while the test runs."""
    asked: Seen = set()
    real = pages.texts

    def recording(translator: Translator) -> Callable[..., str]:
        translate = real(translator)

        def recorded(msgid: str, **values: object) -> str:
            asked.add(msgid)
            return translate(msgid, **values)

        return recorded

    monkeypatch.setattr(pages, "texts", recording)
    return asked


def left_on_purpose(message: Message) -> bool:
    return not is_translated(message) and any("TODO(review)" in c for c in message.user_comments)


def undrafted(ids: Seen, code: str) -> list[str]:
    catalog = by_key(read_catalog(po_path(LOCALES, code)))
    return sorted(
        i for i in ids if i not in catalog or not (is_translated(catalog[i]) or left_on_purpose(catalog[i]))
    )


def placeholders_changed(ids: Seen, code: str) -> list[str]:
    french = by_key(read_catalog(po_path(LOCALES, SOURCE_LANGUAGE)))
    catalog = by_key(read_catalog(po_path(LOCALES, code)))

    def holes(message: Message) -> list[str]:
        return sorted(PLACEHOLDER.findall(str(message.string)))

    return sorted(
        i for i in ids if i in catalog and is_translated(catalog[i]) and holes(catalog[i]) != holes(french[i])
    )


def claimed_reviewed(ids: Seen, code: str) -> list[str]:
    catalog = by_key(read_catalog(po_path(LOCALES, code)))
    return sorted(
        i for i in ids if i in catalog and is_translated(catalog[i]) and not is_unreviewed(catalog[i])
    )


def _ok(response: httpx.Response, status: int = 200) -> httpx.Response:
    assert response.status_code == status, (response.status_code, response.text[:500])
    return response


async def _post(
    console: Console, path: str, data: dict[str, str], form_page: str | None = None
) -> httpx.Response:
    token = await console.csrf(form_page or path)
    return await console.client.post(path, data={**data, "csrf_token": token})


async def _commune_ids(gateway: Gateway, committee_id: int) -> list[tuple[int, str]]:
    """The communes the committee reaches whose names are unique (make_report finds them by name)."""
    async with gateway.sessionmaker() as db:
        communes = (await db.execute(select(Area.id, Area.name, Area.parent_id).where(Area.level == 3))).all()
        covered = set(
            (
                await db.execute(
                    select(CommitteeArea.area_id).where(CommitteeArea.committee_id == committee_id)
                )
            ).scalars()
        )
        parents = dict((await db.execute(select(Area.id, Area.parent_id))).all())
    names = [name for _, name, _ in communes]

    def within(area_id: int | None) -> bool:
        while area_id is not None:
            if area_id in covered:
                return True
            area_id = parents.get(area_id)
        return False

    return [(i, n) for i, n, _ in communes if within(i) and names.count(n) == 1]


async def walk_as_committee_member(
    gateway: Gateway,
    make_committee: MakeCommittee,
    make_report: MakeReport,
    tmp_path: Path,
    stack: AsyncExitStack,
) -> None:
    """Every page and state a committee member can reach, asked for as their browser would."""
    committee = await make_committee("Comité Zégoua", AREAS, [], schedule="weekly mon 08:00")
    other = await make_committee("Comité Sikasso", ["cercle:Sikasso"], [])
    await make_user(gateway, "taken@example.org", name="Autre", role="viewer")

    # -- an invitation to a committee account, its refusals, then accepted -----------------------
    async with gateway.sessionmaker() as db, db.begin():
        token = await invite(
            db,
            keys(gateway),
            name="Maire de Zégoua",
            role="committee",
            committee_id=committee.id,
            now=START,
            ttl=timedelta(days=3),
        )
    link = f"/invitation/{token}"
    member = await stack.enter_async_context(console_for(gateway))
    _ok(await member.client.get(link))
    for login, password, confirm in (
        ("maire", PASSWORD, PASSWORD + "x"),  # not the same twice
        ("maire", "court", "court"),  # too short
        ("maire", "p" * 2000, "p" * 2000),  # too long
        ("maire", "maire de zégoua", "maire de zégoua"),  # the name
        ("maire", "aaaabbbbaaaabbbb", "aaaabbbbaaaabbbb"),  # too simple
        ("le maire", PASSWORD, PASSWORD),  # a space in the login
        ("taken@example.org", PASSWORD, PASSWORD),  # someone's login
    ):
        _ok(await _post(member, link, {"login": login, "password": password, "confirm": confirm}))
    _ok(await member.client.post(link, data={"login": "maire", "password": PASSWORD}), 403)  # no token
    _ok(await _post(member, link, {"login": "maire", "password": PASSWORD, "confirm": PASSWORD}), 303)
    async with console_for(gateway) as late:
        _ok(await late.client.get(link), 410)  # the link has served

    # -- sign-in and sign-out, on a browser of their own -------------------------------------------
    async with console_for(gateway) as browser:
        _ok(await browser.client.get("/signin"))
        _ok(await browser.client.get("/signin?out=1"))
        _ok(await browser.sign_in("maire", "not the password"))  # refused: the page again
        _ok(await browser.sign_in("maire"), 303)
        _ok(await browser.client.get("/language/bm", params={"back": "/overview"}), 303)
        _ok(await browser.client.get("/overview"))
        _ok(await _post(browser, "/signout", {}, "/overview"), 303)
        _ok(await browser.client.get("/signin?out=1"))

    # -- the overview: nothing yet, no map ---------------------------------------------------------
    _ok(await member.client.get("/"), 303)
    _ok(await member.client.get("/overview"))
    communes = await _commune_ids(gateway, committee.id)
    assert len(communes) > 20
    # More urgent reports than the overview lists, in more communes than its table names.
    for _, name in communes[:17]:
        await make_report(name, at=START - timedelta(hours=2))
    for _ in range(21):
        await make_report("Zégoua", urgency="urgent", at=START - timedelta(hours=1))
    own = await make_report("Zégoua", anonymous=True, text="Vol de bétail", at=START - timedelta(minutes=5))
    await make_report("Zégoua", urgency="information", at=START - timedelta(minutes=4))
    member.app.state.overview_counts = CountsCache()  # the counts kept from the visit before
    states = {
        "africastalking": StateView("ok", "", START - timedelta(days=1), None),
        "orange": StateView("down", "timeout", START - timedelta(hours=1), None),
        "spare": StateView("unknown", "", None, None),
    }
    for shown in (states, {}):

        async def configured(
            _db: object, _names: object, shown: dict[str, StateView] = shown
        ) -> dict[str, StateView]:
            return shown

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(overview_page, "configured_states", configured)
            _ok(await member.client.get("/overview"))
    # The map: outlines only outside their reach, then theirs too.
    async with synthetic_pcodes(gateway, {"SYN01": "Zégoua", "SYN02": "Finkolo"}) as pcodes:
        await load(gateway, write(tmp_path / "out.geojson", grid({"SYN02": "Finkolo"})))
        overview = _ok(await member.client.get("/overview"))
        assert 'class="map"' not in overview.text
        await load(gateway, write(tmp_path / "both.geojson", grid({"SYN01": "Zégoua", "SYN02": "Finkolo"})))
        overview = _ok(await member.client.get("/overview"))
        assert 'class="map"' in overview.text
        assert pcodes

    # -- the inbox ---------------------------------------------------------------------------------
    _ok(await member.client.get("/reports"))
    _ok(await member.client.get("/reports", params={"urgent": "1", "placeless": "1", "topic": "other"}))
    for name, value in (
        ("from", "yesterday"),
        ("area", "999999"),
        ("topic", "weather"),
        ("status", "lost"),
        ("language", "xx"),
        ("channel", "fax"),
        ("after", "R-NOTHERE"),
    ):
        _ok(await member.client.get("/reports", params={name: value}), 400)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reports_page, "PAGE_SIZE", 2)
        first = _ok(await member.client.get("/reports"))
        older = re.search(r'href="/reports\?(after=[^"]+)" rel="next"', first.text)
        assert older, "no link to older reports"
        _ok(await member.client.get("/reports?" + older.group(1).replace("&amp;", "&")))
    _ok(await member.client.get("/reports.csv"))
    _ok(await member.client.get("/reports.csv", params={"status": "lost"}), 400)
    slots = member.app.state.export_slots
    member.app.state.export_slots = asyncio.Semaphore(0)
    _ok(await member.client.get("/reports.csv"), 429)
    member.app.state.export_slots = slots

    # -- a report: its history of every kind, an unconfirmed place, its forms and their refusals ----
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Report).where(Report.id == own.id).values(place_confirmed=False))
        for kind, status in (
            ("status", "forwarded"),
            ("ack", None),
            ("info", None),
            ("told", None),
            ("place", None),
            ("topic", None),
            ("future", None),
        ):
            db.add(
                ReportEvent(
                    report_id=own.id, kind=kind, status=status, note="x", actor="Comité Zégoua", at=START
                )
            )
    path = f"/reports/{own.reference}"
    _ok(await member.client.get(path))
    _ok(await _post(member, f"{path}/status", {"status": "lost"}, path), 422)
    _ok(await _post(member, f"{path}/status", {"status": "in_progress", "note": "n" * 5000}, path), 422)
    _ok(await _post(member, f"{path}/status", {"status": "closed", "note": ""}, path), 422)
    _ok(await _post(member, f"{path}/status", {"status": "in_progress", "note": "On y va"}, path), 303)
    _ok(await member.client.get(f"{path}?done=status"))
    _ok(await member.client.post(f"{path}/status", data={"status": "closed"}), 403)  # no token
    _ok(await member.client.get("/reports/R-NOTHERE"), 404)
    _ok(await _post(member, f"{path}/place", {"place": ""}, path), 403)  # organisers only

    # -- their committee's page and summary preview, in every state it has --------------------------
    _ok(await member.client.get("/committees"), 303)
    page = f"/committees/{committee.id}"
    _ok(await member.client.get(page))  # no member yet
    async with gateway.sessionmaker() as db, db.begin():
        found = await db.get(Committee, committee.id)
        assert found is not None
        for n, (summaries, alerts) in enumerate(((True, True), (True, False), (False, True), (False, False))):
            wanted = NewMember(
                f"Membre {n}", f"+2237610030{n}", ("fr", "bm", "dyu", "mos")[n], "", summaries, alerts
            )
            await add_member(db, gateway.vault, found, wanted, "ML")
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        async with gateway.sessionmaker() as db, db.begin():
            await db.execute(
                update(Committee)
                .where(Committee.id == committee.id)
                .values(schedule=f"weekly {day} 08:00", last_digest_until=START - timedelta(days=7))
            )
        _ok(await member.client.get(page))
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Committee).where(Committee.id == committee.id).values(schedule="daily 07:30"))
    _ok(await member.client.get(page))
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(
            update(Committee).where(Committee.id == committee.id).values(schedule="at the full moon")
        )
    _ok(await member.client.get(page))  # a schedule no longer readable: no preview
    async with gateway.sessionmaker() as db, db.begin():
        # Nobody taking summaries (the French preview, said so), and no area left.
        await db.execute(
            update(CommitteeMember)
            .where(CommitteeMember.committee_id == committee.id)
            .values(receives_summaries=False)
        )
        await db.execute(update(Committee).where(Committee.id == committee.id).values(schedule="daily 07:30"))
        await db.execute(delete(CommitteeArea).where(CommitteeArea.committee_id == committee.id))
    _ok(await member.client.get(page))
    _ok(await member.client.get("/committees/abc"), 404)
    _ok(await member.client.get(f"/committees/{other.id}"), 403)

    # -- what is not theirs: refused, in words -----------------------------------------------------
    for organisers in ("/broadcasts", "/broadcasts/new", "/meetings", "/audit", "/committees/new"):
        _ok(await member.client.get(organisers), 403)
    _ok(await _post(member, "/signout", {}, "/overview"), 303)
    _ok(await member.client.get("/overview"), 303)


# Texts the walk must have met: a walk that stopped early would pass the check on too little.
LANDMARKS = (
    "console.invitation.mismatch",
    "console.signin.failed",
    "console.signout.done",
    "console.overview.urgent_newest",
    "console.overview.other_communes",
    "console.overview.no_channel",
    "console.map.missing",
    "console.map.none_in_reach",
    "console.map.tooltip_out",
    "console.reports.bad_after",
    "console.reports.next_page",
    "console.reports.export_busy",
    "console.report.event.other",
    "console.reports.note_needed",
    "console.reports.done.status",
    "console.committees.weekday.sun",
    "console.committees.page.kind.region",
    "console.committees.page.preview_nobody",
    "console.committees.page.preview_none",
    "console.committees.missing",
    "console.forbidden.text",
    "console.csrf.text",
)


async def test_every_word_a_committee_member_sees_is_drafted(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport, seen: Seen, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        await walk_as_committee_member(gateway, make_committee, make_report, tmp_path, stack)
    walked = set(seen)
    assert [m for m in LANDMARKS if m not in walked] == []
    assert [m for m in walked if m.startswith(ORGANISER_ONLY)] == []
    for code in DRAFTED_IN:
        assert undrafted(walked, code) == [], code
        assert placeholders_changed(walked, code) == [], code
        # Drafts, not reviewed by a native speaker: each keeps its `fuzzy` flag until a review.
        assert claimed_reviewed(walked, code) == [], code


async def test_a_committee_member_choosing_jula_reads_jula(
    gateway: Gateway, make_committee: MakeCommittee
) -> None:
    assert "dyu" in CONSOLE_LANGUAGES
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [])
    await make_user(gateway, "maire@example.org", name="Maire", role="committee", committee_id=committee.id)
    async with console_for(gateway) as member:
        _ok(await member.sign_in("maire@example.org"), 303)
        overview = _ok(await member.client.get("/overview"))
        assert 'href="/language/dyu?back=%2Foverview"' in overview.text
        assert 'lang="dyu" hreflang="dyu">Julakan</a>' in overview.text
        chosen = _ok(await member.client.get("/language/dyu", params={"back": "/overview"}), 303)
        assert chosen.headers["set-cookie"].startswith(f"{LANGUAGE_COOKIE}=dyu;")
        overview = _ok(await member.client.get("/overview"))
    assert '<html lang="dyu">' in overview.text
    assert overview.headers["content-language"] == "dyu"
    assert '<strong lang="dyu" aria-current="true">Julakan</strong>' in overview.text
    dyu = by_key(read_catalog(po_path(LOCALES, "dyu")))
    bm = by_key(read_catalog(po_path(LOCALES, "bm")))
    # Texts whose Jula differs from the Bambara: Jula itself, not Bambara through the fallback.
    for msgid in (
        "console.overview.nothing",
        "console.overview.broadcast.expanding",
        "console.overview.broadcast.paused",
    ):
        assert dyu[msgid].string != bm[msgid].string, msgid
        assert str(dyu[msgid].string) in overview.text, msgid
    for msgid in ("console.overview.title", "console.overview.urgent", "console.signout"):
        assert str(dyu[msgid].string) in overview.text, msgid
    assert "Vue d&#39;ensemble" not in overview.text
