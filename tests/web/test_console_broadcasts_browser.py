"""A meeting notice from the console in a real headless chromium, against a `gateway serve` that
sends through the fake Africa's Talking server: the meeting made in four languages, the notice
composed with its preview redrawn as boxes are ticked, saved, scheduled, and its counts moving on
the page, without a reload, as the outbox sends."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import select

from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.accounts.helpers import make_user
from tests.broadcasts.test_broadcasts import subscribers
from tests.fakes.at_server import FakeAfricasTalking
from tests.web.browser import Traffic, screenshot, sign_in
from tests.web.conftest import ServeGateway

PEOPLE = [
    ("+22376000901", "fr", "Zégoua"),
    ("+22376000902", "bm", "Zégoua"),
    ("+22376000903", "bm", "Zégoua"),
    ("+22670000904", "dyu", "Niangoloko"),
    ("+22670000905", "mos", "Niangoloko"),
]


async def test_a_meeting_notice_from_the_console(
    gateway: Gateway,
    serve_gateway: ServeGateway,
    at: FakeAfricasTalking,
    page: Page,
    traffic: Traffic,
    screenshots_dir: Path,
) -> None:
    await make_user(gateway, now=utcnow())
    await subscribers(gateway, PEOPLE)
    served = await serve_gateway(
        dispatch_in_process="true",
        provider="africastalking",
        at_api_key=at.api_key,
        at_api_url=at.base_url,
        sms_rate_per_s="0",
        dispatch_poll_s="0.2",
        sms_price_per_part="25",
    )
    await sign_in(page, served.url("/signin"))
    await expect(page).to_have_url(served.url("/overview"))

    # The meeting, its topic in the four languages.
    await page.get_by_role("link", name="Réunions").click()
    await expect(page.get_by_role("heading", name="Réunions", exact=True)).to_be_visible()
    for label, title in (
        ("Français", "Forum frontalier"),
        ("Bamanankan", "Dancɛ lajɛ"),
        ("Julakan", "Dancɛ lajɛ"),
        ("Mooré", "Tẽns lagma"),
    ):
        await page.locator("fieldset", has_text="Sujet de la réunion").get_by_label(label).fill(title)
    day = (utcnow() + timedelta(days=6)).date().isoformat()
    await page.get_by_label("Date", exact=True).fill(day)
    await page.get_by_label("Heure", exact=True).fill("09:30")
    await page.get_by_label("Lieu (tel qu'il sera écrit dans l'avis)").fill("Mairie de Zégoua")
    await (
        page.locator("fieldset", has_text="Ordre du jour").get_by_label("Français").fill("Sécurité du marché")
    )
    await page.get_by_role("button", name="Enregistrer la réunion").click()
    await expect(page.get_by_role("status")).to_contain_text("Réunion enregistrée.")
    await page.get_by_role("link", name="Préparer l'avis →").click()

    # The composer: the preview follows the ticked boxes as they are ticked (the script).
    await expect(page.get_by_role("heading", name="Nouvelle diffusion")).to_be_visible()
    await page.locator("summary", has_text="Kadiolo").click()
    await page.get_by_label("Zégoua", exact=True).check()
    await expect(page.locator("#preview .totals")).to_contain_text("Destinataires : 3 ·")
    await page.locator("summary", has_text="Comoé").click()
    await page.get_by_label("Niangoloko", exact=True).check()
    await expect(page.locator("#preview .totals")).to_contain_text("Destinataires : 5 · SMS en tout : 5.")
    # And the button, which works without the script, gives the same.
    await page.get_by_role("button", name="Aperçu").click()
    await expect(page.locator("#preview .totals")).to_contain_text(
        "Destinataires : 5 · SMS en tout : 5. Coût : 125.0 XOF."
    )
    phones = page.locator("#preview pre.phone")
    await expect(phones).to_have_count(4)
    await expect(phones.nth(0)).to_contain_text("Forum frontalier:")
    await expect(phones.nth(1)).to_contain_text("Dancè lajè:")  # GSM-7 spelling, as the phone shows it
    await expect(phones.nth(3)).to_contain_text("Tens lagma:")  # ẽ -> e
    await screenshot(page, screenshots_dir, "broadcast-new")
    await page.get_by_role("button", name="Enregistrer le brouillon").click()

    # The draft's page, then scheduled to go now; the counts move on the page as it goes.
    await expect(page.get_by_role("status")).to_contain_text("Brouillon enregistré.")
    await expect(page).to_have_url(re.compile(r"/broadcasts/\d+\?done=created$"))
    broadcast_path = page.url.removeprefix(served.base).split("?")[0]
    await page.get_by_role("button", name="Programmer").click()
    await expect(page.get_by_role("status")).to_contain_text("Diffusion programmée.")
    total = page.locator("tr.total")
    await expect(total.locator('[data-n="sent"]')).to_have_text("5")
    await expect(total.locator('[data-n="recipients"]')).to_have_text("5")
    await expect(page.locator('dd[data-n="status_label"]')).to_have_text("terminée")
    await expect(page.get_by_text("Personne n'a encore reçu cette diffusion")).to_be_hidden()
    await screenshot(page, screenshots_dir, "broadcast")
    await page.get_by_role("link", name="Diffusions", exact=True).first.click()
    row = page.locator("tr[data-b]").filter(has_text="Avis de réunion")
    await expect(row.locator('[data-n="sent"]')).to_have_text("5")
    await screenshot(page, screenshots_dir, "broadcasts")
    # On a phone's screen nothing is wider than the screen: the tables fold, the pages scroll down.
    await page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/broadcasts", "/broadcasts/new", "/meetings", broadcast_path):
        await page.goto(served.url(path))
        wide = await page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361)"
            ".map(e => e.tagName + '.' + e.className + ':' + e.textContent.slice(0, 30))"
        )
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360, (path, wide)

    assert sorted(number for r in at.received for number in r.to) == sorted(p for p, _, _ in PEOPLE)
    async with gateway.sessionmaker() as db:
        bodies = (await db.execute(select(OutboundMessage.language, OutboundMessage.body))).all()
    assert {language for language, _ in bodies} == {"fr", "bm", "dyu", "mos"}
    assert traffic.off_loopback() == []
    assert traffic.console_errors == []
    assert traffic.page_errors == []
