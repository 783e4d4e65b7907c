"""A meeting made, changed and deleted from the console in a real headless chromium, against a
`gateway serve` of the test's own: the creation form double-clicked makes one meeting, the change
form comes prefilled and its change shows in the list, and deletion asks for a tick first."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import func, select

from gateway.broadcasts.models import Meeting
from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.accounts.helpers import make_user
from tests.web.browser import Traffic, screenshot, sign_in
from tests.web.conftest import ServeGateway


async def meetings(gateway: Gateway) -> list[Meeting]:
    async with gateway.sessionmaker() as db:
        return list((await db.execute(select(Meeting).order_by(Meeting.id))).scalars())


async def test_a_meeting_made_changed_and_deleted(
    gateway: Gateway, serve_gateway: ServeGateway, page: Page, traffic: Traffic, screenshots_dir: Path
) -> None:
    await make_user(gateway, now=utcnow())
    served = await serve_gateway()
    await sign_in(page, served.url("/signin"))
    await expect(page).to_have_url(served.url("/overview"))

    await page.get_by_role("link", name="Réunions").click()
    topic = page.locator("fieldset", has_text="Sujet de la réunion")
    await topic.get_by_label("Français").fill("Forum frontalier")
    day = (utcnow() + timedelta(days=6)).date()
    await page.get_by_label("Date", exact=True).fill(day.isoformat())
    await page.get_by_label("Heure", exact=True).fill("09:30")
    await page.get_by_label("Lieu (tel qu'il sera écrit dans l'avis)").fill("Mairie de Zégoua")
    # A double click: the page's script holds the second, the form's key would stop it anyway.
    await page.get_by_role("button", name="Enregistrer la réunion").dblclick()
    await expect(page.get_by_role("status")).to_contain_text("Réunion enregistrée.")
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(func.count()).select_from(Meeting))).scalar_one() == 1

    # Changed: the form shows the meeting as it is; the list shows the change.
    await page.get_by_role("link", name="Modifier ou supprimer").click()
    await expect(page.get_by_role("heading", name="Modifier la réunion")).to_be_visible()
    await expect(page.get_by_label("Heure", exact=True)).to_have_value("09:30")
    await expect(page.get_by_label("Lieu (tel qu'il sera écrit dans l'avis)")).to_have_value(
        "Mairie de Zégoua"
    )
    await topic.get_by_label("Français").fill("Forum frontalier (reporté)")
    await page.get_by_label("Date", exact=True).fill((day + timedelta(days=1)).isoformat())
    await page.get_by_label("Lieu (tel qu'il sera écrit dans l'avis)").fill("École de Zégoua")
    await screenshot(page, screenshots_dir, "meeting")
    await page.get_by_role("button", name="Enregistrer les changements").click()
    await expect(page.get_by_role("status")).to_contain_text("Réunion modifiée.")
    await page.get_by_role("link", name="← Toutes les réunions").click()
    row = page.locator("tr", has_text="Forum frontalier (reporté)")
    await expect(row).to_contain_text("École de Zégoua")
    await expect(row).to_contain_text((day + timedelta(days=1)).strftime("%d/%m/%Y") + " 09:30")
    [meeting] = await meetings(gateway)
    assert (meeting.title, meeting.place) == ({"fr": "Forum frontalier (reporté)"}, "École de Zégoua")

    # Deleted, once the box is ticked (the browser asks for it before sending).
    await row.get_by_role("link", name="Modifier ou supprimer").click()
    await expect(page.get_by_text("Aucune diffusion n'est liée à cette réunion.")).to_be_visible()
    await page.get_by_role("button", name="Supprimer", exact=True).click()
    assert len(await meetings(gateway)) == 1
    await page.get_by_label("Oui, supprimer cette réunion et ses diffusions").check()
    await page.get_by_role("button", name="Supprimer", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Réunion supprimée")
    await expect(page.get_by_text("Aucune réunion à venir.")).to_be_visible()
    assert await meetings(gateway) == []
    assert traffic.off_loopback() == []
    assert traffic.console_errors == []
    assert traffic.page_errors == []
