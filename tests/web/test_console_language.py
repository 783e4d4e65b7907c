"""The console in Bambara: the header's language links, the cookie `gw_lang`, pages rendered from the
bm catalog with French for whatever it lacks, and no open redirect; the bm console drafts keep the
French placeholders and stay marked unreviewed; a screenshot of a report's page in Bambara."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from gateway.app import create_app
from gateway.committees.service import NewMember
from gateway.config import ROOT
from gateway.db.base import utcnow
from gateway.i18n.catalogs import Catalogs, by_key, po_path, read_catalog
from gateway.i18n.flags import is_translated
from gateway.i18n.languages import SOURCE_LANGUAGE
from gateway.web.language import CONSOLE_LANGUAGES, LANGUAGE_COOKIE, local_path
from gateway.wiring import Gateway
from tests.accounts.helpers import PASSWORD, Console, console_for, make_user
from tests.helpers import MakeCommittee, MakeReport
from tests.web.browser import Traffic, screenshot
from tests.web.conftest import ServeGateway

MAYOR = NewMember("Maire de Zégoua", "+22376100301", "fr", "maire")
LOCALES = ROOT / "locales"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# Console texts deliberately left to the French fallback in bm: the software's name, a note about
# importing commune boundaries, and the organiser-only form that places a report (committee
# members never see them). Everything else a committee member reads has a bm draft.
LEFT_IN_FRENCH = frozenset(
    {
        "console.name",
        "console.overview.map",
        "console.report.commune",
        "console.report.place_form",
        "console.report.place_help",
        "console.report.place_submit",
        "console.report.unchanged",
        "console.reports.bad_place",
        "console.reports.done.place",
    }
)
# The console pages a committee member uses, by the ids their texts are kept under.
COMMITTEE_PREFIXES = (
    "console.back",
    "console.csrf.",
    "console.forbidden.",
    "console.invitation.",
    "console.overview.",
    "console.password.",
    "console.report.",
    "console.reports.",
    "console.role.",
    "console.signin.",
    "console.signout",
)


def _lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]*)">', html)
    assert found, html[:200]
    return found.group(1)


@pytest.fixture
async def world(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> AsyncIterator[dict[str, object]]:
    zegoua = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR], schedule="daily 08:00")
    report = await make_report(
        "Zégoua",
        urgency="urgent",
        text="Vol de bétail près du marché",
        at=datetime(2026, 11, 20, 10, tzinfo=UTC),
    )
    async with AsyncExitStack() as stack:

        async def console(login: str, role: str, committee_id: int | None = None) -> Console:
            await make_user(gateway, login, name=login.split("@")[0], role=role, committee_id=committee_id)
            signed_in = await stack.enter_async_context(console_for(gateway))
            assert (await signed_in.sign_in(login)).status_code == 303
            return signed_in

        yield {"console": console, "committee": zegoua.id, "reference": report.reference}


async def _member(world: dict[str, object]) -> Console:
    return await world["console"]("maire@example.org", "committee", world["committee"])  # type: ignore[operator]


async def _choose(console: Console, code: str, back: str) -> httpx.Response:
    chosen = await console.client.get(f"/language/{code}", params={"back": back})
    assert chosen.status_code == 303, chosen.text
    return chosen


async def test_a_committee_member_reads_the_console_in_bambara(world: dict[str, object]) -> None:
    member = await _member(world)
    reference = str(world["reference"])
    # French by default, with a link to Bambara that comes back to this page.
    overview = await member.client.get("/overview")
    assert _lang(overview.text) == "fr"
    assert "Vue d&#39;ensemble" in overview.text
    assert 'href="/language/bm?back=%2Foverview"' in overview.text
    assert '<strong lang="fr" aria-current="true">Français</strong>' in overview.text

    chosen = await _choose(member, "bm", "/overview")
    assert chosen.headers["location"] == "/overview"
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=bm;")
    assert "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie

    overview = await member.client.get("/overview")
    assert overview.status_code == 200
    assert _lang(overview.text) == "bm"
    assert overview.headers["content-language"] == "bm"
    for words in ("Bɛɛ lajɛlen", "Min donna: maire, komiteden.", "Kɔrɔtɔ laseli jaabibaliw", "Bɔ"):
        assert words in overview.text, words
    assert "Vue d&#39;ensemble" not in overview.text
    assert '<strong lang="bm" aria-current="true">Bamanankan</strong>' in overview.text
    assert 'href="/language/fr?back=%2Foverview"' in overview.text

    inbox = await member.client.get("/reports", params={"urgent": "1"})
    assert inbox.status_code == 200
    assert _lang(inbox.text) == "bm"
    # Column names, the topic and status words of the SMS/USSD catalog, the urgency.
    for words in ("<h1>Laseliw</h1>", "<th>Cogoya</th>", "<th>Gɛlɛya</th>", "<td>Lakanabaliya ko</td>"):
        assert words in inbox.text, words
    for words in (
        "<td>a sɔrɔla</td>",
        "<td>kɔrɔtɔ</td>",
        "<td>Français</td>",
        '<option value="forwarded">a cira komite ma',
    ):
        assert words in inbox.text, words
    assert 'href="/language/fr?back=%2Freports%3Furgent%3D1"' in inbox.text

    report = await member.client.get(f"/reports/{reference}")
    assert report.status_code == 200
    assert _lang(report.text) == "bm"
    for words in (f"Laseli {reference}", "Tariku", "Cogoya yɛlɛma", "Komitedenw minnu y&#39;a sɔrɔ"):
        assert words in report.text, words
    # Dates stay numeric (dd/mm/yyyy hh:mm) in both languages: no month name to translate.
    assert "20/11/2026 10:00" in report.text

    # And back to French.
    await _choose(member, "fr", f"/reports/{reference}")
    again = await member.client.get(f"/reports/{reference}")
    assert _lang(again.text) == "fr"
    assert f"Signalement {reference}" in again.text


async def test_what_bm_lacks_is_shown_in_french(world: dict[str, object]) -> None:
    organiser = await world["console"]("awa@example.org", "organiser")  # type: ignore[operator]
    await _choose(organiser, "bm", "/overview")
    page = await organiser.client.get(f"/reports/{world['reference']}")
    assert _lang(page.text) == "bm"
    assert "Tariku" in page.text  # translated
    assert "Enregistrer le lieu et le sujet" in page.text  # organiser-only form: no bm draft, French
    # The same through the catalogs the SMS use: per message, bm then French.
    catalogs = Catalogs(LOCALES)
    french = by_key(read_catalog(po_path(LOCALES, SOURCE_LANGUAGE)))
    bm = catalogs.translator("bm")
    for msgid in sorted(LEFT_IN_FRENCH & french.keys()):
        assert bm.gettext(msgid) == french[msgid].string, msgid
    assert bm.gettext("console.report.history") == "Tariku"


@pytest.mark.parametrize(
    "value",
    ["mos", "xx", "BM", "DYU", "bmbm", "fr,bm", "../bm", "<script>alert(1)</script>", "b" * 500],
)
async def test_a_cookie_naming_no_console_language_is_ignored(gateway: Gateway, value: str) -> None:
    async with console_for(gateway) as console:
        page = await console.client.get("/signin", headers={"Cookie": f"{LANGUAGE_COOKIE}={value}"})
    assert page.status_code == 200
    assert _lang(page.text) == "fr"
    assert "<h1>Connexion</h1>" in page.text
    assert "alert(1)" not in page.text


async def test_an_unknown_language_sets_no_cookie(gateway: Gateway) -> None:
    async with console_for(gateway) as console:
        for code in ("mos", "xx", "bm%0d%0aSet-Cookie:%20x=1"):
            chosen = await console.client.get(f"/language/{code}", params={"back": "/signin"})
            assert chosen.status_code == 303
            assert chosen.headers["location"] == "/signin"
            assert "set-cookie" not in chosen.headers, code
        page = await console.client.get("/signin")
    assert _lang(page.text) == "fr"


@pytest.mark.parametrize(
    "back",
    [
        "//evil.example/x",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
        "/" + "a" * 3000,
    ],
)
async def test_the_way_back_never_leaves_the_console(gateway: Gateway, back: str) -> None:
    assert local_path(back) is None
    async with console_for(gateway) as console:
        chosen = await console.client.get("/language/bm", params={"back": back})
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/"
    assert chosen.headers["set-cookie"].startswith(f"{LANGUAGE_COOKIE}=bm;")


async def test_the_way_back_keeps_the_page_and_its_query(gateway: Gateway) -> None:
    async with console_for(gateway) as console:
        chosen = await console.client.get("/language/bm", params={"back": "/reports?topic=other&urgent=1"})
        assert chosen.headers["location"] == "/reports?topic=other&urgent=1"
        missing = await console.client.get("/language/bm")
        assert missing.headers["location"] == "/"
        # Letters beyond ASCII (a Bambara filter, a line separator) come back percent-encoded.
        accented = await console.client.get("/language/bm", params={"back": "/reports?q=ɛ\u2028x"})
        assert accented.headers["location"] == "/reports?q=%C9%9B%E2%80%A8x"


async def test_after_a_refused_form_the_links_lead_back_to_its_page(world: dict[str, object]) -> None:
    member = await _member(world)
    await _choose(member, "bm", "/overview")
    reference = str(world["reference"])
    token = await member.csrf(f"/reports/{reference}")
    refused = await member.client.post(
        f"/reports/{reference}/status", data={"status": "closed", "note": "", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "Ka laseli datugu, aw ye ko min kɛra sɛbɛn" in refused.text  # the refusal, in bm
    # /reports/R/status answers only POST: the links go back to the report's page.
    assert f'href="/language/fr?back=%2Freports%2F{reference}"' in refused.text


async def test_forms_still_need_their_token_in_bambara(world: dict[str, object]) -> None:
    member = await _member(world)
    await _choose(member, "bm", "/overview")
    forged = await member.client.post(f"/reports/{world['reference']}/status", data={"status": "closed"})
    assert forged.status_code == 403
    assert _lang(forged.text) == "bm"
    assert "An ma sɔn a ma" in forged.text
    token = await member.csrf("/overview")
    out = await member.client.post("/signout", data={"csrf_token": token})
    assert out.status_code == 303
    # Signed out, the choice stays with the browser.
    signin = await member.client.get("/signin?out=1")
    assert _lang(signin.text) == "bm"
    assert "Aw bɔra." in signin.text


def test_every_bm_console_draft_keeps_the_french_placeholders_and_stays_unreviewed() -> None:
    french = by_key(read_catalog(po_path(LOCALES, SOURCE_LANGUAGE)))
    bm = by_key(read_catalog(po_path(LOCALES, "bm")))
    console = [key for key in bm if key.startswith("console.") and key in french]
    translated = [key for key in console if is_translated(bm[key])]
    assert len(translated) >= 100
    for key in translated:
        assert sorted(_PLACEHOLDER.findall(str(bm[key].string))) == sorted(
            _PLACEHOLDER.findall(str(french[key].string))
        ), key
        # Drafted, not reviewed by a native speaker: the entry says so until a review removes it.
        assert "fuzzy" in bm[key].flags, key
    # What a committee member reads is drafted; only the listed texts fall back to French.
    for key in french:
        if key.startswith(COMMITTEE_PREFIXES) and key in bm and key not in LEFT_IN_FRENCH:
            assert is_translated(bm[key]), f"{key}: no bm draft"


def test_every_offered_language_translates_the_console() -> None:
    # A language with no console texts would give French pages marked as another language.
    assert CONSOLE_LANGUAGES[0] == SOURCE_LANGUAGE
    for code in CONSOLE_LANGUAGES[1:]:
        catalog = by_key(read_catalog(po_path(LOCALES, code)))
        drafted = [k for k, m in catalog.items() if k.startswith("console.") and is_translated(m)]
        assert len(drafted) >= 100, code
    # Mooré translates no console text yet; Jula is offered (tests/web/test_console_committee_words.py).
    assert "mos" not in CONSOLE_LANGUAGES


async def test_a_report_in_bambara_in_a_browser(
    gateway: Gateway,
    serve_gateway: ServeGateway,
    make_committee: MakeCommittee,
    make_report: MakeReport,
    page: Page,
    traffic: Traffic,
    screenshots_dir: Path,
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR], schedule="daily 08:00")
    report = await make_report(
        "Zégoua",
        urgency="urgent",
        text="Vol de bétail près du marché, hier soir",
        at=datetime(2026, 11, 20, 10, tzinfo=UTC),
    )
    await make_user(
        gateway,
        "maire@example.org",
        name="Maire de Zégoua",
        role="committee",
        committee_id=committee.id,
        now=utcnow(),
    )
    served = await serve_gateway()
    await page.goto(served.url("/signin"))
    await page.get_by_role("link", name="Bamanankan").click()
    await expect(page.locator("html")).to_have_attribute("lang", "bm")
    await page.get_by_label("Don tɔgɔ walima imɛyi").fill("maire@example.org")
    await page.get_by_label("Donkan").fill(PASSWORD)
    await page.get_by_role("button", name="Don", exact=True).click()
    await expect(page).to_have_url(served.url("/overview"))
    await expect(page.get_by_role("heading", name="Bɛɛ lajɛlen")).to_be_visible()
    await page.get_by_role("link", name=report.reference).first.click()
    await expect(page.get_by_role("heading", name=f"Laseli {report.reference}")).to_be_visible()
    await expect(page.locator(".facts")).to_contain_text("Lakanabaliya ko")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies[LANGUAGE_COOKIE]["value"] == "bm"
    assert cookies[LANGUAGE_COOKIE]["sameSite"] == "Lax"
    await screenshot(page, screenshots_dir, "report-bm")
    assert traffic.off_loopback() == []
    assert traffic.console_errors == []


async def test_behind_a_proxy_prefix_the_links_keep_it(gateway: Gateway) -> None:
    app = create_app(gateway.settings, gateway)
    transport = httpx.ASGITransport(app=app, root_path="/gw")
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        page = await client.get("/gw/signin")
        assert page.status_code == 200
        assert 'href="/gw/language/bm?back=%2Fsignin"' in page.text
        chosen = await client.get("/gw/language/bm", params={"back": "/signin"})
        assert chosen.headers["location"] == "/gw/signin"
        again = await client.get("/gw/signin")
    assert _lang(again.text) == "bm"
