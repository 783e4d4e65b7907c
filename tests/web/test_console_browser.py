"""Signing in to the console in a real headless chromium, against a `gateway serve` of the test's."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.accounts.helpers import PASSWORD, make_user
from tests.web.browser import Traffic, screenshot
from tests.web.conftest import ServeGateway


async def test_sign_in_and_out_in_a_browser(
    gateway: Gateway, serve_gateway: ServeGateway, page: Page, traffic: Traffic, screenshots_dir: Path
) -> None:
    await make_user(gateway, now=utcnow())
    served = await serve_gateway()
    await page.goto(served.url("/"))
    await expect(page).to_have_url(served.url("/signin"))
    await screenshot(page, screenshots_dir, "signin")
    await page.get_by_label("Identifiant ou adresse e-mail").fill("awa@example.org")
    await page.get_by_label("Mot de passe").fill("not the password")
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page).to_have_url(served.url("/overview"))
    await expect(page.get_by_text("Connecté : Awa Traoré, organisateur.")).to_be_visible()
    await screenshot(page, screenshots_dir, "overview")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["gw_session"]["httpOnly"] is True
    assert cookies["gw_session"]["sameSite"] == "Lax"
    await page.get_by_role("button", name="Se déconnecter").click()
    await expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté.")
    assert traffic.off_loopback() == []
    assert traffic.console_errors == []
