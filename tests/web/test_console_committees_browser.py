"""Committees in a real headless chromium: an organiser creates a committee, adds a member and sees
the summary they would receive; a committee member, on a phone-sized screen, reads their own
committee and is refused another."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Browser, Page, ViewportSize, expect
from sqlalchemy import select

from gateway.areas.models import Area
from gateway.committees.models import Committee, CommitteeMember
from gateway.committees.service import NewMember
from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.accounts.helpers import make_user
from tests.helpers import MakeCommittee, MakeReport
from tests.web.browser import Traffic, screenshot, sign_in
from tests.web.conftest import WAIT_MS, ServeGateway

MAYOR = NewMember("Maire de Zégoua", "+22376100301", "fr", "maire")
PHONE: ViewportSize = {"width": 390, "height": 844}  # a common phone's screen, in CSS pixels


async def _area(gateway: Gateway, name: str, level: int) -> int:
    async with gateway.sessionmaker() as db:
        return (await db.execute(select(Area.id).where(Area.name == name, Area.level == level))).scalar_one()


async def test_an_organiser_creates_a_committee_and_adds_a_member(
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
    for hours in (2, 5):
        await make_report("Kadiolo", at=utcnow() - timedelta(hours=hours), text="Vol de bétail")
    await make_report("Niangoloko", topic="cross_border_trade", at=utcnow() - timedelta(hours=3))
    kadiolo = await _area(gateway, "Kadiolo", 2)
    niangoloko = await _area(gateway, "Niangoloko", 3)
    served = await serve_gateway()
    await sign_in(page, served.url("/signin"))
    await expect(page).to_have_url(served.url("/overview"))
    await page.get_by_role("navigation").get_by_role("link", name="Comités").click()
    await expect(page.get_by_role("heading", name="Comités de suivi")).to_be_visible()
    await page.get_by_role("link", name="Créer un comité").click()
    await page.get_by_label("Nom du comité").fill("Comité Kadiolo-Niangoloko")
    await page.get_by_label("Jour (résumé hebdomadaire)").select_option(label="mardi")
    await page.get_by_label("Heure d'envoi").fill("09:30")
    await page.locator(f'input[name="area"][value="{kadiolo}"]').check()
    # Comoé's communes are folded away until asked for (a <details>, no script).
    await page.locator(".province").filter(has_text="Comoé").locator("summary").click()
    await page.locator(f'input[name="area"][value="{niangoloko}"]').check()
    await page.get_by_role("button", name="Créer le comité").click()
    await expect(page.get_by_role("status")).to_contain_text("Comité créé.")
    await expect(page.get_by_role("heading", name="Comité Kadiolo-Niangoloko")).to_be_visible()
    await expect(page.locator(".facts").first).to_contain_text("chaque mardi à 09:30 (Africa/Bamako)")

    await page.get_by_label("Nom", exact=True).fill("Adjointe au maire de Niangoloko")
    await page.get_by_label("Fonction (facultatif : maire, chef de village…)").fill("adjointe")
    await page.get_by_label("Numéro de téléphone").fill("7010 03")  # too short: said, kept
    await page.get_by_label("Langue des SMS").select_option(label="Julakan")
    await page.get_by_role("button", name="Ajouter le membre").click()
    await expect(page.locator("#phone-error")).to_contain_text("Ce numéro a trop peu de chiffres")
    await expect(page.get_by_label("Nom", exact=True)).to_have_value("Adjointe au maire de Niangoloko")
    await page.get_by_label("Numéro de téléphone").fill("+226 70 10 03 99")
    await page.get_by_role("button", name="Ajouter le membre").click()
    await expect(page.get_by_role("status")).to_contain_text("Membre ajouté.")
    await expect(page.locator(".member .phone")).to_have_text("+226******99")
    await expect(page.get_by_label("Numéro de téléphone")).to_have_value("")
    html = await page.content()
    for number in ("+22670100399", "70 10 03 99", "70100399"):
        assert number not in html
    preview = page.locator(".preview")
    await expect(preview).to_have_count(1)
    await expect(preview.get_by_role("heading")).to_contain_text("Julakan · 1 membre(s)")
    await expect(preview.locator("blockquote")).to_contain_text("Comité Kadiolo-Niangoloko")
    await expect(preview.locator(".help")).to_contain_text(re.compile(r"GSM-7, \d+ caractères, [123] SMS"))
    await screenshot(page, screenshots_dir, "committee")

    await page.get_by_role("navigation").get_by_role("link", name="Comités").click()
    await expect(page.get_by_role("listitem").filter(has_text="Comité Kadiolo-Niangoloko")).to_contain_text(
        "Niangoloko (Comoé)"
    )
    await screenshot(page, screenshots_dir, "committees")
    await page.get_by_role("navigation").get_by_role("link", name="Journal d'audit").click()
    await expect(page.get_by_role("heading", name="Journal d'audit")).to_be_visible()
    await expect(page.locator("ol.log")).to_contain_text("committees.member_add")
    await page.get_by_label("Action").fill("committees")
    await page.get_by_role("button", name="Filtrer").click()
    await expect(page.locator("ol.log li").first).to_contain_text("committees.read")
    await screenshot(page, screenshots_dir, "audit")
    async with gateway.sessionmaker() as db:
        committee = (
            await db.execute(select(Committee).where(Committee.name == "Comité Kadiolo-Niangoloko"))
        ).scalar_one()
        [member] = (
            await db.execute(select(CommitteeMember).where(CommitteeMember.committee_id == committee.id))
        ).scalars()
    assert committee.schedule == "weekly tue 09:30"
    assert gateway.vault.decrypt(member.phone_encrypted) == "+22670100399"
    assert traffic.off_loopback() == []
    # The refused phone number's page (422) is the only error the browser reports.
    assert [e for e in traffic.console_errors if "422" not in e] == []


async def test_a_committee_member_on_a_phone_reads_only_their_committee(
    gateway: Gateway,
    serve_gateway: ServeGateway,
    make_committee: MakeCommittee,
    make_report: MakeReport,
    browser: Browser,
    traffic: Traffic,
    screenshots_dir: Path,
) -> None:
    zegoua = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR], schedule="daily 08:00")
    banfora = await make_committee("Comité Banfora", ["Banfora"], [])
    await make_report("Zégoua", at=utcnow() - timedelta(hours=1))
    await make_user(
        gateway,
        "maire@example.org",
        name="Maire de Zégoua",
        role="committee",
        committee_id=zegoua.id,
        now=utcnow(),
    )
    served = await serve_gateway()
    context = await browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR", timezone_id="Africa/Bamako"
    )
    context.set_default_timeout(WAIT_MS)
    await traffic.attach(context)
    try:
        page = await context.new_page()
        await sign_in(page, served.url("/signin"), "maire@example.org")
        await expect(page).to_have_url(served.url("/overview"))
        await page.get_by_role("navigation").get_by_role("link", name="Comités").click()
        await expect(page).to_have_url(served.url(f"/committees/{zegoua.id}"))
        await expect(page.get_by_role("heading", name="Comité Zégoua")).to_be_visible()
        await expect(page.get_by_text("Consultation seule")).to_be_visible()
        await expect(page.locator(".preview blockquote")).to_contain_text("Comité Zégoua")
        await expect(page.locator(".member .phone")).to_have_text("+223******01")
        await expect(page.get_by_role("button", name="Ajouter le membre")).to_have_count(0)
        await expect(page.get_by_role("link", name="Journal d'audit")).to_have_count(0)
        # Nothing wider than the phone's screen: no sideways scrolling to read it.
        width = await page.evaluate("document.documentElement.scrollWidth")
        wide = await page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390)"
            ".map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"
        )
        assert width <= PHONE["width"], (width, wide)
        await screenshot(page, screenshots_dir, "committee-phone")
        refused = await page.goto(served.url(f"/committees/{banfora.id}"))
        assert refused is not None
        assert refused.status == 403
        await expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible()
        await expect(page.get_by_text("Comité Banfora")).to_have_count(0)
        audit = await page.goto(served.url("/audit"))
        assert audit is not None
        assert audit.status == 403
    finally:
        await context.close()
    assert traffic.off_loopback() == []
    # The refused pages' 403s are the only errors the browser reports.
    assert all("403" in error for error in traffic.console_errors), traffic.console_errors


async def test_an_organiser_renames_a_committee_changes_its_areas_and_a_members_number(
    gateway: Gateway,
    serve_gateway: ServeGateway,
    make_committee: MakeCommittee,
    page: Page,
    traffic: Traffic,
    screenshots_dir: Path,
) -> None:
    await make_user(gateway, now=utcnow())
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR], schedule="daily 08:00")
    await make_committee("Comité Banfora", ["Banfora"], [])
    zegoua = await _area(gateway, "Zégoua", 3)
    kadiolo = await _area(gateway, "Kadiolo", 2)
    banfora = await _area(gateway, "Banfora", 3)
    served = await serve_gateway()
    await sign_in(page, served.url("/signin"))
    await expect(page).to_have_url(served.url("/overview"))
    await page.goto(served.url(f"/committees/{committee.id}"))
    await page.get_by_role("link", name="Renommer le comité ou changer ses zones").click()
    await expect(page.get_by_role("heading", name="Modifier « Comité Zégoua »")).to_be_visible()
    await expect(page.locator(f'input[name="area"][value="{zegoua}"]')).to_be_checked()
    # Another committee's name: said, and the boxes ticked stay ticked.
    await page.get_by_label("Nom du comité").fill("Comité Banfora")
    await page.locator(f'input[name="area"][value="{kadiolo}"]').check()
    await page.get_by_role("button", name="Enregistrer les changements").click()
    await expect(page.locator("#name-error")).to_contain_text("Un comité porte déjà ce nom")
    await expect(page.locator(f'input[name="area"][value="{kadiolo}"]')).to_be_checked()
    await page.get_by_label("Nom du comité").fill("Comité Kadiolo-Banfora")
    await page.locator(f'input[name="area"][value="{zegoua}"]').uncheck()
    await page.locator(".province").filter(has_text="Comoé").locator("summary").click()
    await page.locator(f'input[name="area"][value="{banfora}"]').check()
    await screenshot(page, screenshots_dir, "committee-edit")
    await page.get_by_role("button", name="Enregistrer les changements").click()
    await expect(page.get_by_role("status")).to_contain_text("Comité modifié.")
    await expect(page.get_by_role("heading", name="Comité Kadiolo-Banfora", exact=True)).to_be_visible()
    await expect(page.locator("#areas + ul")).to_contain_text("Banfora (Comoé) · commune")
    await expect(page.locator("#areas + ul")).not_to_contain_text("Zégoua")

    await page.locator(".member summary").click()
    await page.get_by_role("link", name="Changer la langue ou le numéro de Maire de Zégoua").click()
    await expect(page.get_by_text("Numéro actuel : +223******01")).to_be_visible()
    await expect(page.get_by_label("Nouveau numéro (laisser vide pour garder l'actuel)")).to_have_value("")
    await page.get_by_label("Langue des SMS").select_option(label="Bamanankan")
    await page.get_by_label("Nouveau numéro (laisser vide pour garder l'actuel)").fill("76 10 03 99")
    await page.get_by_role("button", name="Enregistrer", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Membre modifié.")
    await expect(page.locator(".member .phone")).to_have_text("+223******99")
    html = await page.content()
    for number in ("+22376100399", "76 10 03 99", "76100399", "76100301"):
        assert number not in html

    await page.get_by_role("navigation").get_by_role("link", name="Comités").click()
    card = page.get_by_role("listitem").filter(has_text="Comité Kadiolo-Banfora")
    await expect(card).to_contain_text("Banfora (Comoé), Kadiolo (cercle)")
    await expect(page.get_by_role("link", name="Comité Zégoua", exact=True)).to_have_count(0)
    await expect(page.locator(".card h2")).to_have_text(["Comité Banfora", "Comité Kadiolo-Banfora"])
    async with gateway.sessionmaker() as db:
        [member] = (
            await db.execute(select(CommitteeMember).where(CommitteeMember.committee_id == committee.id))
        ).scalars()
    assert (member.language, gateway.vault.decrypt(member.phone_encrypted)) == ("bm", "+22376100399")
    assert traffic.off_loopback() == []
    # The refused name's page (422) is the only error the browser reports.
    assert [e for e in traffic.console_errors if "422" not in e] == []
