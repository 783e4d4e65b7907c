"""The console's overview over HTTP: its counts on a small known set of reports, a committee member's
reach, a viewer's read-only page, the page's weight; and in a real browser, nothing fetched from
elsewhere."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select, update

from gateway.areas.models import Area
from gateway.db.base import utcnow
from gateway.reports.models import Report
from gateway.reports.stats import overview, week_starts
from gateway.wiring import Gateway
from tests.accounts.helpers import START, Console, console_for, make_user
from tests.helpers import MakeCommittee, MakeReport
from tests.web.browser import Traffic, screenshot, sign_in
from tests.web.conftest import ServeGateway

# A 2G connection moves some 10-30 kB a second: the page and its style sheet in a few seconds.
WEIGHT_BUDGET = 20_000


@pytest.fixture
async def console(gateway: Gateway) -> AsyncIterator[Console]:
    async with console_for(gateway) as made:
        yield made


async def _area(gateway: Gateway, name: str) -> int:
    async with gateway.sessionmaker() as db:
        return (await db.execute(select(Area.id).where(Area.name == name, Area.level == 3))).scalar_one()


async def known_reports(gateway: Gateway, make_report: MakeReport, now: datetime) -> dict[str, str]:
    """Three this week in Zégoua (one urgent), one in Banfora the week before last, one in Banfora
    too old to count, one this week without a place."""
    made = {
        "zegoua_urgent": await make_report(
            "Zégoua", urgency="urgent", at=now - timedelta(hours=1), language="bm"
        ),
        "zegoua_trade": await make_report("Zégoua", topic="cross_border_trade", at=now - timedelta(hours=2)),
        "zegoua_other": await make_report("Zégoua", at=now - timedelta(hours=3)),
        "banfora": await make_report(
            "Banfora", topic="community_conflict", urgency="urgent", at=now - timedelta(days=8)
        ),
        "banfora_old": await make_report("Banfora", at=now - timedelta(weeks=13)),
        "placeless": await make_report("Banfora", at=now - timedelta(hours=4), language="mos"),
    }
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Report).where(Report.id == made["placeless"].id).values(area_id=None))
    return {key: report.reference for key, report in made.items()}


async def test_the_counts_on_a_known_set(gateway: Gateway, make_report: MakeReport) -> None:
    await known_reports(gateway, make_report, START)
    zegoua, banfora = await _area(gateway, "Zégoua"), await _area(gateway, "Banfora")
    async with gateway.sessionmaker() as db:
        everywhere = await overview(db, None, START)
        only_zegoua = await overview(db, {zegoua}, START)
    mondays = week_starts(START)
    assert len(mondays) == 12
    assert mondays[-1] == START.replace(hour=0)
    assert everywhere.start == mondays[0]
    # START is a Monday: this week holds the four of today, the week before last Banfora's.
    assert [n for _, n in everywhere.weeks] == [0] * 9 + [1, 0, 4]
    assert everywhere.total == 5
    assert dict(everywhere.by_topic) == {
        "security_incident": 3,
        "cross_border_trade": 1,
        "community_conflict": 1,
    }
    assert everywhere.by_topic[0] == ("security_incident", 3)
    assert dict(everywhere.by_language) == {"fr": 3, "bm": 1, "mos": 1}
    assert everywhere.by_commune == [(zegoua, 3), (banfora, 1), (None, 1)]
    assert everywhere.urgent_open == 2
    assert [u.area_id for u in everywhere.urgent] == [zegoua, banfora]  # newest first
    assert [n for _, n in only_zegoua.weeks] == [0] * 11 + [3]
    assert only_zegoua.by_commune == [(zegoua, 3)]
    assert dict(only_zegoua.by_language) == {"fr": 2, "bm": 1}
    assert only_zegoua.urgent_open == 1


async def test_an_organiser_reads_the_whole_picture(
    gateway: Gateway, console: Console, make_report: MakeReport
) -> None:
    references = await known_reports(gateway, make_report, START)
    await make_user(gateway)
    await console.sign_in()
    page = await console.client.get("/overview")
    assert page.status_code == 200
    text = page.text
    assert "bientôt" not in text
    assert "Du 21/09/2026 au 07/12/2026 : 5 signalements." in text
    for reference in (references["zegoua_urgent"], references["banfora"]):
        assert f'href="/reports/{reference}"' in text
    assert "2 signalements urgents attendent" in text
    assert re.search(r"<td>Zégoua</td><td>[^<]+</td><td class=\"n\">3</td>", text)
    assert "Sans lieu (à compléter)" in text
    assert "limites administratives" in text  # no map yet, and why
    assert "<script" not in text
    assert "http://" not in text
    assert "https://" not in text
    for status in ("programmées", "en cours d&#39;envoi", "en pause"):
        assert f"0 {status}" in text


async def test_a_committee_member_sees_only_the_committee_s_areas(
    gateway: Gateway, console: Console, make_report: MakeReport, make_committee: MakeCommittee
) -> None:
    references = await known_reports(gateway, make_report, START)
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [])
    await make_user(
        gateway, "maire@example.org", name="Moussa Koné", role="committee", committee_id=committee.id
    )
    await console.sign_in("maire@example.org")
    text = (await console.client.get("/overview")).text
    assert "Comité : Comité Zégoua" in text
    assert "au 07/12/2026 : 3 signalements." in text
    assert "Banfora" not in text
    assert "Sans lieu" not in text
    assert references["zegoua_urgent"] in text
    assert references["banfora"] not in text
    assert "1 signalements urgents attendent" in text


async def test_a_viewer_reads_it_with_nothing_to_change(
    gateway: Gateway, console: Console, make_report: MakeReport
) -> None:
    await known_reports(gateway, make_report, START)
    await make_user(gateway, "partner@example.org", name="Partenaire", role="viewer")
    await console.sign_in("partner@example.org")
    page = await console.client.get("/overview")
    assert page.status_code == 200
    assert "lecteur (consultation seule)" in page.text
    # The one form is signing out: nothing on this page changes anything.
    assert page.text.count("<form") == 1
    assert 'action="/signout"' in page.text


async def test_signed_out_goes_to_sign_in(console: Console) -> None:
    answer = await console.client.get("/overview")
    assert (answer.status_code, answer.headers["location"]) == (303, "/signin")


async def test_the_page_and_its_style_sheet_fit_the_budget(
    gateway: Gateway, console: Console, make_report: MakeReport
) -> None:
    await known_reports(gateway, make_report, START)
    await make_user(gateway)
    await console.sign_in()
    html = (await console.client.get("/overview")).content
    css = (await console.client.get("/static/console.css")).content
    assert b"<script" not in html
    assert len(html) + len(css) <= WEIGHT_BUDGET, (len(html), len(css))


async def test_the_overview_in_a_browser_fetches_nothing_from_elsewhere(
    gateway: Gateway,
    serve_gateway: ServeGateway,
    page: Page,
    traffic: Traffic,
    screenshots_dir: Path,
    make_report: MakeReport,
) -> None:
    now = utcnow()
    await known_reports(gateway, make_report, now)
    await make_user(gateway, now=now)
    served = await serve_gateway()
    await sign_in(page, served.url("/signin"))
    await expect(page).to_have_url(served.url("/overview"))
    await expect(page.get_by_role("heading", name="Urgents sans réponse")).to_be_visible()
    await expect(
        page.get_by_role("img", name="Signalements par semaine (12 dernières semaines)")
    ).to_be_visible()
    await expect(page.get_by_role("cell", name="Zégoua")).to_be_visible()
    await screenshot(page, screenshots_dir, "overview")
    assert traffic.off_loopback() == []
    assert traffic.console_errors == []
