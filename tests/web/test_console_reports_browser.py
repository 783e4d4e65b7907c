"""The reports inbox in a real headless chromium: an organiser finds a placeless SMS report, gives
it its commune, and the committee of that commune is alerted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import select

from gateway.committees.service import NewMember
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.reports.service import NewReport, create_report
from gateway.wiring import Gateway
from tests.accounts.helpers import make_user
from tests.helpers import MakeCommittee, MakeReport
from tests.web.browser import Traffic, screenshot, sign_in
from tests.web.conftest import ServeGateway

MAYOR = NewMember("Maire de Zégoua", "+22376100301", "fr", "maire")


async def test_triage_of_a_placeless_report_in_a_browser(
    gateway: Gateway,
    serve_gateway: ServeGateway,
    make_committee: MakeCommittee,
    make_report: MakeReport,
    page: Page,
    traffic: Traffic,
    screenshots_dir: Path,
) -> None:
    await make_user(gateway, now=utcnow())
    await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR], schedule="daily 08:00")
    await make_report(
        "Zégoua", text="Vol de bétail près du marché", at=datetime(2026, 11, 20, 10, tzinfo=UTC)
    )
    await make_report(
        "Banfora", topic="cross_border_trade", language="dyu", at=datetime(2026, 11, 26, tzinfo=UTC)
    )
    async with gateway.sessionmaker() as db, db.begin():
        placeless = await create_report(
            db, NewReport("sms", "fr", "other", None, "urgent", "On tire au marché", True, None)
        )
    served = await serve_gateway()
    await sign_in(page, served.url("/signin"))
    await expect(page).to_have_url(served.url("/overview"))
    await page.goto(served.url("/reports"))
    await expect(page.get_by_role("heading", name="Signalements")).to_be_visible()
    await expect(page.get_by_role("row")).to_have_count(4)  # the header and three reports
    await screenshot(page, screenshots_dir, "reports")
    await page.get_by_label("Sans lieu seulement").check()
    await page.get_by_role("button", name="Filtrer").click()
    await expect(page.get_by_role("row")).to_have_count(2)
    await page.get_by_role("link", name=placeless.reference).click()
    await expect(page.get_by_text("On tire au marché")).to_be_visible()
    await page.get_by_label("Commune").select_option(label="Zégoua (Kadiolo)")
    await page.get_by_label("Sujet").select_option(label="Incident de sécurité")
    await screenshot(page, screenshots_dir, "report")
    await page.get_by_role("button", name="Enregistrer le lieu et le sujet").click()
    await expect(page.get_by_role("status")).to_contain_text("Lieu et sujet enregistrés.")
    await expect(page.locator(".facts")).to_contain_text("Zégoua")
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report).where(Report.id == placeless.id))).scalar_one()
        alerts = (
            (await db.execute(select(OutboundMessage).where(OutboundMessage.kind == "alert"))).scalars().all()
        )
    assert report.topic == "security_incident"
    assert [gateway.vault.decrypt(a.phone_encrypted) for a in alerts] == [MAYOR.phone]
    assert traffic.off_loopback() == []
    assert traffic.console_errors == []
