"""The committees pages over HTTP: the list, a new committee through the service the API uses, a
committee's page with its members masked and the summary they would receive now, adding, changing
and removing members (each in the audit log), who may do what, CSRF, and bad or hostile input that
gets a French error on the form and never a 500 nor a phone number written out."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from gateway.areas.models import Area
from gateway.audit.models import AuditEvent
from gateway.committees.models import Committee, CommitteeMember
from gateway.committees.service import NewMember, committee_areas
from gateway.reports.models import ReportEvent
from gateway.reports.status import acknowledge
from gateway.wiring import Gateway
from tests.accounts.helpers import Console, People, console_for
from tests.helpers import MakeCommittee, MakeReport

MAYOR = NewMember("Maire de Zégoua", "+22376100301", "fr", "maire")
CHIEF = NewMember("Chef de village", "+22670100302", "dyu", "chef de village", alerts=False)
NEW_NUMBER = "76 10 03 99"  # Malian, written as people write it
NEW_E164 = "+22376100399"
# Any run of eight digits or more, with or without a country code: no page may hold one.
_DIGITS = re.compile(r"(?<![0-9])(?:\+?22[36])?[0-9]{8}(?![0-9])")


def no_phone_number(html: str) -> None:
    found = _DIGITS.findall(re.sub(r'name="csrf_token" value="[0-9a-f]+"', "", html))
    assert found == [], found
    for number in (MAYOR.phone, CHIEF.phone, NEW_E164, "76100301", "70100302", "76100399", "76 10 03 99"):
        assert number not in html


@dataclass
class World:
    people: People
    zegoua: int
    banfora: int
    report: str


@pytest.fixture
async def world(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> AsyncIterator[World]:
    zegoua = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR, CHIEF], schedule="daily 08:00")
    banfora = await make_committee("Comité Banfora", ["Banfora"], [])
    # In the period the console's clock (tests.accounts.helpers.START, 7/12 09:00) summarises.
    report = await make_report("Zégoua", at=datetime(2026, 12, 7, 7, tzinfo=UTC))
    async with AsyncExitStack() as stack:
        yield World(People(gateway, stack), zegoua.id, banfora.id, report.reference)


async def _audit(gateway: Gateway, action: str) -> list[AuditEvent]:
    async with gateway.sessionmaker() as db:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list((await db.execute(query)).scalars())


async def _area(gateway: Gateway, name: str, level: int) -> int:
    async with gateway.sessionmaker() as db:
        return (await db.execute(select(Area.id).where(Area.name == name, Area.level == level))).scalar_one()


async def _members(gateway: Gateway, committee_id: int) -> list[CommitteeMember]:
    async with gateway.sessionmaker() as db:
        query = select(CommitteeMember).where(CommitteeMember.committee_id == committee_id)
        return list((await db.execute(query.order_by(CommitteeMember.id))).scalars())


async def _post(console: Console, path: str, form: dict[str, str | list[str]], page: str) -> httpx.Response:
    token = await console.csrf(page)
    return await console.client.post(path, data={**form, "csrf_token": token})


def _member_form(**changes: str) -> dict[str, str | list[str]]:
    return {
        "name": "Adjoint au maire",
        "role": "adjoint",
        "phone": NEW_NUMBER,
        "language": "bm",
        "summaries": "1",
        "alerts": "1",
        **changes,
    }


async def test_the_list_shows_areas_members_and_schedules(gateway: Gateway, world: World) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    page = await organiser.client.get("/committees")
    assert page.status_code == 200
    html = page.text
    assert html.index("Comité Banfora") < html.index("Comité Zégoua")  # by name
    assert "Zégoua (Kadiolo)" in html
    assert "chaque jour à 08:00 (Africa/Bamako)" in html
    assert "chaque lundi à 08:00 (Africa/Bamako)" in html
    assert re.search(r"Membres</dt><dd>2</dd>", html)
    assert 'href="/committees/new"' in html
    assert 'href="/audit"' in html  # the organiser's navigation
    no_phone_number(html)


async def test_an_organiser_creates_a_committee(gateway: Gateway, world: World) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    form = await organiser.client.get("/committees/new")
    assert form.status_code == 200
    kadiolo = await _area(gateway, "Kadiolo", 2)
    banfora = await _area(gateway, "Banfora", 3)
    assert f'name="area" value="{kadiolo}"' in form.text
    created = await _post(
        organiser,
        "/committees",
        {
            "name": "  Comité   Kadiolo-Banfora ",
            "area": [str(kadiolo), str(banfora)],
            "frequency": "weekly",
            "weekday": "tue",
            "time": "9:30",
            "timezone": "Africa/Ouagadougou",
        },
        "/committees/new",
    )
    assert created.status_code == 303, created.text
    async with gateway.sessionmaker() as db:
        committee = (
            await db.execute(select(Committee).where(Committee.name == "Comité Kadiolo-Banfora"))
        ).scalar_one()
    assert (committee.schedule, committee.timezone) == ("weekly tue 09:30", "Africa/Ouagadougou")
    assert created.headers["location"] == f"/committees/{committee.id}?done=created"
    page = await organiser.client.get(created.headers["location"])
    assert "Comité créé." in page.text
    assert "chaque mardi à 09:30 (Africa/Ouagadougou)" in page.text
    assert "Kadiolo · cercle" in page.text
    assert "Banfora (Comoé) · commune" in page.text
    listing = await organiser.client.get("/committees")
    assert "Banfora (Comoé), Kadiolo (cercle)" in listing.text
    [audit] = await _audit(gateway, "committees.create")
    assert audit.role == "organiser"
    assert re.fullmatch(r"awa \(#[0-9]+\)", audit.actor)  # the account's id beside its name
    assert f"committee {committee.id}: Comité Kadiolo-Banfora" in audit.detail
    # Reading its page, which names its members, is in the audit log too.
    listed = (await _audit(gateway, "committees.read"))[-1]
    assert listed.detail == f"committee {committee.id}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Donnez un nom au comité."),
        ({"name": "Comité Zégoua"}, "Un comité porte déjà ce nom"),
        ({"name": "Comité +223 76 10 03 01"}, "Le nom ne doit pas contenir de numéro de téléphone"),
        ({"name": "x" * 121}, "Le nom du comité est trop long"),
        ({"area": []}, "Cochez au moins une zone"),
        ({"area": ["abc"]}, "Une des zones choisies n&#39;existe pas ou plus"),
        ({"area": ["99999999"]}, "Une des zones choisies n&#39;existe pas ou plus"),
        ({"area": ["²"]}, "Une des zones choisies n&#39;existe pas ou plus"),
        ({"time": "25:00"}, "Écrivez l&#39;heure d&#39;envoi sous la forme HH:MM"),
        ({"time": "<script>"}, "Écrivez l&#39;heure d&#39;envoi sous la forme HH:MM"),
        ({"time": "²:00"}, "Écrivez l&#39;heure d&#39;envoi sous la forme HH:MM"),
        ({"frequency": "monthly"}, "Choisissez une fréquence"),
        ({"weekday": "someday"}, "Choisissez le jour du résumé hebdomadaire"),
        ({"timezone": "Europe/Paris"}, "Choisissez le fuseau horaire"),
    ],
)
async def test_a_bad_new_committee_is_said_on_the_form(
    gateway: Gateway, world: World, change: dict[str, str | list[str]], message: str
) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    banfora = await _area(gateway, "Banfora", 3)
    form: dict[str, str | list[str]] = {
        "name": "Comité <b>Banfora</b> & Co",
        "area": [str(banfora)],
        "frequency": "weekly",
        "weekday": "fri",
        "time": "07:15",
        "timezone": "Africa/Bamako",
        **change,
    }
    refused = await _post(organiser, "/committees", form, "/committees/new")
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert "Le comité n&#39;a pas été créé" in refused.text
    # What was typed is kept (escaped), so only the wrong part needs typing again.
    if "name" not in change:
        assert 'value="Comité &lt;b&gt;Banfora&lt;/b&gt; &amp; Co"' in refused.text
    if change.get("area") != [] and "area" not in change:
        assert f'value="{banfora}" checked' in refused.text
    if "weekday" not in change:
        assert '<option value="fri" selected>' in refused.text
    async with gateway.sessionmaker() as db:
        names = set((await db.execute(select(Committee.name))).scalars())
    assert names == {"Comité Zégoua", "Comité Banfora"}
    assert await _audit(gateway, "committees.create") == []


async def test_a_committee_page_masks_numbers_and_previews_the_summary(
    gateway: Gateway, world: World
) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    page = await organiser.client.get(f"/committees/{world.zegoua}")
    assert page.status_code == 200
    html = page.text
    assert "Maire de Zégoua" in html
    assert "+223******01" in html  # masked as the API masks it
    assert "+226******02" in html
    assert "les résumés seulement" in html  # the chief takes no alerts
    assert "Zégoua (Kadiolo) · commune" in html
    no_phone_number(html)
    # The summary in each language its members read, as it would go out now.
    preview = html[html.index('id="summary"') :]
    assert "Français · 1 membre(s) le reçoivent dans cette langue" in preview
    assert "Julakan · 1 membre(s)" in preview
    assert "Comité Zégoua, 6 décembre-7 décembre: 1 signalement (+1)." in preview
    assert world.report in preview  # the open report's reference
    assert re.search(r"GSM-7, \d+ caractères, 1 SMS", preview)
    [read] = await _audit(gateway, "committees.read")
    assert (read.detail, read.rows) == (f"committee {world.zegoua}", 2)


async def test_the_preview_is_the_schedulers_text(gateway: Gateway, world: World) -> None:
    from gateway.outbox.service import sms_text
    from tests.accounts.helpers import START

    organiser = await world.people.console("awa@example.org", "organiser")
    page = await organiser.client.get(f"/committees/{world.zegoua}")
    async with gateway.sessionmaker() as db:
        committee = await db.get(Committee, world.zegoua)
        assert committee is not None
        texts = await gateway.scheduler.summarise(db, committee, START, send=False, languages=["fr", "dyu"])
    for language in ("fr", "dyu"):
        body = sms_text(texts[language], language, gateway.settings.sms_gsm7).body
        assert _escaped(body) in page.text, language


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")


async def test_adding_a_member_never_shows_the_number_again(gateway: Gateway, world: World) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    path = f"/committees/{world.zegoua}"
    added = await _post(organiser, f"{path}/members", _member_form(), path)
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"{path}?done=added#members"
    members = await _members(gateway, world.zegoua)
    assert [m.name for m in members] == ["Maire de Zégoua", "Chef de village", "Adjoint au maire"]
    assert gateway.vault.decrypt(members[-1].phone_encrypted) == NEW_E164  # normalised
    assert (members[-1].language, members[-1].role) == ("bm", "adjoint")
    page = await organiser.client.get(f"{path}?done=added")
    assert "Membre ajouté." in page.text
    assert "+223******99" in page.text
    assert 'id="phone" name="phone" type="tel" inputmode="tel" value=""' in page.text  # the form is empty
    no_phone_number(page.text)
    [audit] = await _audit(gateway, "committees.member_add")
    assert audit.detail == f"committee {world.zegoua}: member #{members[-1].id}"
    # The summary preview now has a Bambara text for the new member.
    assert "Bamanankan · 1 membre(s)" in page.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phone": ""}, "Écrivez le numéro de téléphone du membre."),
        ({"phone": "abc"}, "Un numéro ne contient que des chiffres"),
        ({"phone": "76+100301"}, "Un numéro ne contient que des chiffres"),
        ({"phone": "<script>alert(1)</script>"}, "Un numéro ne contient que des chiffres"),
        ({"phone": "7610"}, "Ce numéro a trop peu de chiffres"),
        ({"phone": "+223 76 10 03 01 99 99"}, "Ce numéro a trop de chiffres"),
        ({"phone": "+999 76 10 03 01"}, "Cet indicatif de pays n&#39;existe pas"),
        ({"phone": "1" * 40}, "Ce numéro est trop long (32 caractères au plus)."),
        ({"phone": "+223 76 10 03 01"}, "Ce numéro est déjà celui d&#39;un membre de ce comité."),
        ({"name": ""}, "Écrivez le nom du membre (1 à 120 caractères)."),
        ({"name": "Appeler le 76100388"}, "Le nom ne doit pas contenir de numéro de téléphone"),
        ({"role": "r" * 65}, "La fonction est trop longue (64 caractères au plus)."),
        ({"language": "en"}, "Choisissez une langue dans la liste"),
    ],
)
async def test_a_bad_member_is_said_on_the_form(
    gateway: Gateway, world: World, change: dict[str, str], message: str
) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    path = f"/committees/{world.zegoua}"
    form = _member_form(name="Adjoint <i>au</i> maire", **{k: v for k, v in change.items() if k != "name"})
    if "name" in change:
        form["name"] = change["name"]
    refused = await _post(organiser, f"{path}/members", form, path)
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert "Le membre n&#39;a pas été ajouté" in refused.text
    assert 'aria-invalid="true"' in refused.text
    if "name" not in change:
        assert 'value="Adjoint &lt;i&gt;au&lt;/i&gt; maire"' in refused.text  # kept, escaped
    assert "<script>" not in refused.text
    assert len(await _members(gateway, world.zegoua)) == 2
    assert await _audit(gateway, "committees.member_add") == []


async def test_changing_and_removing_a_member(gateway: Gateway, world: World) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    path = f"/committees/{world.zegoua}"
    mayor, chief = await _members(gateway, world.zegoua)
    changed = await _post(organiser, f"{path}/members/{mayor.id}/wishes", {"alerts": "1"}, path)
    assert changed.status_code == 303
    [wishes] = await _audit(gateway, "committees.member_update")
    assert wishes.detail == f"committee {world.zegoua}: member #{mayor.id}: summaries off"
    [mayor, chief] = await _members(gateway, world.zegoua)
    assert (mayor.receives_summaries, mayor.receives_alerts) == (False, True)
    # The mayor had acknowledged a report: the acknowledgement stays in its history.
    async with gateway.sessionmaker() as db, db.begin():
        from gateway.reports.models import Report

        report = (await db.execute(select(Report).where(Report.reference == world.report))).scalar_one()
        acknowledge(db, report, mayor.id, mayor.name)
    confirm = await organiser.client.get(f"{path}/members/{mayor.id}/remove")
    assert confirm.status_code == 200
    assert "Retirer Maire de Zégoua (+223******01)" in confirm.text
    no_phone_number(confirm.text)
    removed = await _post(
        organiser, f"{path}/members/{mayor.id}/remove", {}, f"{path}/members/{mayor.id}/remove"
    )
    assert removed.status_code == 303
    assert [m.name for m in await _members(gateway, world.zegoua)] == ["Chef de village"]
    [audit] = await _audit(gateway, "committees.member_remove")
    assert audit.detail == f"committee {world.zegoua}: member #{mayor.id}"
    async with gateway.sessionmaker() as db:
        ack = (await db.execute(select(ReportEvent).where(ReportEvent.kind == "ack"))).scalar_one()
    assert (ack.member_id, ack.actor) == (None, "Maire de Zégoua")
    # A member of another committee, or one already gone, is no member of this one.
    again = await _post(organiser, f"{path}/members/{mayor.id}/remove", {}, path)
    assert again.status_code == 404
    other = await _post(organiser, f"/committees/{world.banfora}/members/{chief.id}/remove", {}, path)
    assert other.status_code == 404
    assert len(await _members(gateway, world.zegoua)) == 1


async def test_a_committee_member_reads_only_their_own_committee(gateway: Gateway, world: World) -> None:
    member = await world.people.console("maire@example.org", "committee", committee_id=world.zegoua)
    listing = await member.client.get("/committees")
    assert listing.status_code == 303
    assert listing.headers["location"] == f"/committees/{world.zegoua}"
    own = await member.client.get(f"/committees/{world.zegoua}")
    assert own.status_code == 200
    assert "Consultation seule" in own.text
    assert 'id="summary"' in own.text  # the summary preview
    assert f'action="/committees/{world.zegoua}/members' not in own.text  # no form
    assert 'href="/audit"' not in own.text
    no_phone_number(own.text)
    other = await member.client.get(f"/committees/{world.banfora}")
    assert other.status_code == 403
    assert "Comité Banfora" not in other.text
    assert (await member.client.get("/committees/99999")).status_code == 403
    for path in ("/committees/new", "/audit"):
        assert (await member.client.get(path)).status_code == 403
    token = await member.csrf(f"/committees/{world.zegoua}")
    posted = await member.client.post(
        f"/committees/{world.zegoua}/members", data={**_member_form(), "csrf_token": token}
    )
    assert posted.status_code == 403
    created = await member.client.post(
        "/committees", data={"name": "X", "area": "1", "csrf_token": token, "time": "08:00"}
    )
    assert created.status_code == 403
    assert len(await _members(gateway, world.zegoua)) == 2


async def test_a_viewer_reads_every_committee_and_changes_none(gateway: Gateway, world: World) -> None:
    viewer = await world.people.console("partenaire@example.org", "viewer")
    listing = await viewer.client.get("/committees")
    assert listing.status_code == 200
    assert 'href="/committees/new"' not in listing.text
    for committee in (world.zegoua, world.banfora):
        page = await viewer.client.get(f"/committees/{committee}")
        assert page.status_code == 200
        assert "Consultation seule" in page.text
        assert '<form method="post" action="/committees' not in page.text
        no_phone_number(page.text)
    [mayor, _] = await _members(gateway, world.zegoua)
    token = await viewer.csrf(f"/committees/{world.zegoua}")
    for path in (
        f"/committees/{world.zegoua}/members",
        f"/committees/{world.zegoua}/members/{mayor.id}/remove",
        f"/committees/{world.zegoua}/members/{mayor.id}/wishes",
    ):
        refused = await viewer.client.post(path, data={**_member_form(), "csrf_token": token})
        assert refused.status_code == 403, path
    assert (await viewer.client.get("/committees/new")).status_code == 403
    assert (await viewer.client.get("/audit")).status_code == 403
    assert len(await _members(gateway, world.zegoua)) == 2


async def test_forms_without_their_token_are_refused(gateway: Gateway, world: World) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    [mayor, _] = await _members(gateway, world.zegoua)
    banfora = await _area(gateway, "Banfora", 3)
    for path, form in (
        ("/committees", {"name": "Comité forgé", "area": str(banfora), "time": "08:00"}),
        (f"/committees/{world.zegoua}/members", _member_form()),
        (f"/committees/{world.zegoua}/members/{mayor.id}/remove", {}),
        (f"/committees/{world.zegoua}/members/{mayor.id}/wishes", {}),
    ):
        for token in (None, "0" * 64):
            data = dict(form) if token is None else {**form, "csrf_token": token}
            refused = await organiser.client.post(path, data=data)
            assert refused.status_code == 403, path
    assert len(await _members(gateway, world.zegoua)) == 2
    async with gateway.sessionmaker() as db:
        assert len(list((await db.execute(select(Committee))).scalars())) == 2


@pytest.mark.parametrize(
    "path",
    [
        "/committees/abc",
        "/committees/-1",
        "/committees/99999999999999999999",
        "/committees/1%00",
        "/committees/²",  # a digit to str.isdigit(), not to int()
        "/committees/123456",
        "/committees/1/members/abc/remove",
        "/committees/1/members/99999/remove",
    ],
)
async def test_hostile_addresses_are_a_page_not_a_500(gateway: Gateway, world: World, path: str) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    page = await organiser.client.get(path)
    assert page.status_code == 404, page.text
    assert "Ce comité n&#39;existe pas" in page.text
    token = await organiser.csrf("/committees/new")
    posted = await organiser.client.post(path.removesuffix("/remove") + "/wishes", data={"csrf_token": token})
    assert posted.status_code in (404, 405)


async def test_signed_out_is_sent_to_sign_in(world: World, gateway: Gateway) -> None:
    async with console_for(gateway) as anonymous:
        for path in ("/committees", f"/committees/{world.zegoua}", "/committees/new", "/audit"):
            page = await anonymous.client.get(path)
            assert page.status_code == 303
            assert page.headers["location"] == "/signin"


# ----- renaming a committee, changing its areas, a member's language and number ------------------


async def _committee(gateway: Gateway, committee_id: int) -> tuple[str, list[str]]:
    async with gateway.sessionmaker() as db:
        committee = await db.get(Committee, committee_id)
        assert committee is not None
        areas = await committee_areas(db, committee_id)
    return committee.name, [a.name for a in areas]


def _edit_form(**changes: str | list[str]) -> dict[str, str | list[str]]:
    return {"name": "Comité Zégoua", "area": [], **changes}


async def test_an_organiser_renames_a_committee_and_changes_its_areas(gateway: Gateway, world: World) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    path = f"/committees/{world.zegoua}"
    page = await organiser.client.get(path)
    assert f'href="{path}/edit"' in page.text
    form = await organiser.client.get(f"{path}/edit")
    assert form.status_code == 200
    zegoua, kadiolo = await _area(gateway, "Zégoua", 3), await _area(gateway, "Kadiolo", 2)
    banfora = await _area(gateway, "Banfora", 3)
    assert 'value="Comité Zégoua"' in form.text
    assert f'value="{zegoua}" checked' in form.text
    assert f'value="{kadiolo}">' in form.text  # the creation form's picker, unticked
    changed = await _post(
        organiser,
        f"{path}/edit",
        _edit_form(name="  Comité  Kadiolo-Banfora ", area=[str(kadiolo), str(banfora)]),
        f"{path}/edit",
    )
    assert changed.status_code == 303, changed.text
    assert changed.headers["location"] == f"{path}?done=changed"
    assert await _committee(gateway, world.zegoua) == ("Comité Kadiolo-Banfora", ["Banfora", "Kadiolo"])
    page = await organiser.client.get(changed.headers["location"])
    assert "Comité modifié." in page.text
    assert "<h1>Comité Kadiolo-Banfora</h1>" in page.text
    assert "Kadiolo · cercle" in page.text
    assert "Banfora (Comoé) · commune" in page.text
    assert "Comité Kadiolo-Banfora," in page.text  # the summary preview, under its new name
    listing = await organiser.client.get("/committees")
    assert "Comité Kadiolo-Banfora" in listing.text
    assert "Banfora (Comoé), Kadiolo (cercle)" in listing.text
    [audit] = await _audit(gateway, "committees.update")
    assert audit.detail == (
        f"committee {world.zegoua}: name 'Comité Zégoua' -> 'Comité Kadiolo-Banfora'; "
        f"areas added Banfora (#{banfora}), Kadiolo (#{kadiolo}); areas removed Zégoua (#{zegoua})"
    )
    # Saved again as it is: nothing changes, nothing more is recorded.
    again = await _post(
        organiser,
        f"{path}/edit",
        _edit_form(name="Comité Kadiolo-Banfora", area=[str(banfora), str(kadiolo)]),
        f"{path}/edit",
    )
    assert again.status_code == 303
    assert len(await _audit(gateway, "committees.update")) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Donnez un nom au comité."),
        ({"name": "   "}, "Donnez un nom au comité."),
        ({"name": "Comité Banfora"}, "Un comité porte déjà ce nom"),
        ({"name": "Comité +223 76 10 03 01"}, "Le nom ne doit pas contenir de numéro de téléphone"),
        ({"name": "x" * 121}, "Le nom du comité est trop long"),
        ({"area": []}, "Cochez au moins une zone"),
        ({"area": ["abc"]}, "Une des zones choisies n&#39;existe pas ou plus"),
        ({"area": ["99999999"]}, "Une des zones choisies n&#39;existe pas ou plus"),
        ({"area": ["-1"]}, "Une des zones choisies n&#39;existe pas ou plus"),
    ],
)
async def test_a_bad_committee_change_is_said_on_the_form(
    gateway: Gateway, world: World, change: dict[str, str | list[str]], message: str
) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    path = f"/committees/{world.zegoua}/edit"
    banfora = await _area(gateway, "Banfora", 3)
    form = {**_edit_form(name="Comité <b>Zégoua</b> & Co", area=[str(banfora)]), **change}
    refused = await _post(organiser, path, form, path)
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert "Le comité n&#39;a pas été modifié" in refused.text
    if "name" not in change:
        assert 'value="Comité &lt;b&gt;Zégoua&lt;/b&gt; &amp; Co"' in refused.text  # kept, escaped
    if "area" not in change:
        assert f'value="{banfora}" checked' in refused.text
    assert await _committee(gateway, world.zegoua) == ("Comité Zégoua", ["Zégoua"])
    assert await _audit(gateway, "committees.update") == []


async def test_areas_the_picker_does_not_offer_are_kept_unless_unticked(
    gateway: Gateway, world: World, make_committee: MakeCommittee
) -> None:
    sikasso = await make_committee("Comité Sikasso", ["region:Sikasso"], [])
    organiser = await world.people.console("awa@example.org", "organiser")
    path = f"/committees/{sikasso.id}/edit"
    region = await _area(gateway, "Sikasso", 1)
    form = await organiser.client.get(path)
    assert f'value="{region}" checked' in form.text
    banfora = await _area(gateway, "Banfora", 3)
    kept = await _post(
        organiser, path, _edit_form(name="Comité Sikasso", area=[str(region), str(banfora)]), path
    )
    assert kept.status_code == 303
    assert await _committee(gateway, sikasso.id) == ("Comité Sikasso", ["Banfora", "Sikasso"])


async def test_a_committee_member_reads_what_its_new_areas_hold(
    gateway: Gateway, world: World, make_report: MakeReport
) -> None:
    banfora_report = await make_report("Banfora", at=datetime(2026, 12, 7, 8, tzinfo=UTC))
    member = await world.people.console("maire@example.org", "committee", committee_id=world.zegoua)
    listed = await member.client.get("/reports")
    assert world.report in listed.text
    assert banfora_report.reference not in listed.text
    organiser = await world.people.console("awa@example.org", "organiser")
    path = f"/committees/{world.zegoua}/edit"
    banfora = await _area(gateway, "Banfora", 3)
    moved = await _post(organiser, path, _edit_form(name="Comité Banfora-Sud", area=[str(banfora)]), path)
    assert moved.status_code == 303
    # From the next page on: Banfora's report, and no longer Zégoua's.
    listed = await member.client.get("/reports")
    assert banfora_report.reference in listed.text
    assert world.report not in listed.text
    assert (await member.client.get(f"/reports/{world.report}")).status_code == 404
    overview = await member.client.get("/overview")
    assert "Comité Banfora-Sud" in overview.text
    assert world.report not in overview.text
    page = await member.client.get(f"/committees/{world.zegoua}")
    assert "<h1>Comité Banfora-Sud</h1>" in page.text
    assert f'href="/committees/{world.zegoua}/edit"' not in page.text


async def test_an_organiser_changes_a_members_language_and_number(gateway: Gateway, world: World) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    mayor, _ = await _members(gateway, world.zegoua)
    path = f"/committees/{world.zegoua}/members/{mayor.id}/edit"
    page = await organiser.client.get(f"/committees/{world.zegoua}")
    assert f'href="{path}"' in page.text
    form = await organiser.client.get(path)
    assert form.status_code == 200
    assert "Numéro actuel : +223******01" in form.text
    assert 'id="phone" name="phone" type="tel" inputmode="tel" value=""' in form.text  # never the number
    assert '<option value="fr" selected>' in form.text
    no_phone_number(form.text)
    changed = await _post(organiser, path, {"language": "bm", "phone": NEW_NUMBER}, path)
    assert changed.status_code == 303, changed.text
    assert changed.headers["location"] == f"/committees/{world.zegoua}?done=member_changed#members"
    mayor, _ = await _members(gateway, world.zegoua)
    assert mayor.language == "bm"
    assert gateway.vault.decrypt(mayor.phone_encrypted) == NEW_E164  # normalised
    assert mayor.phone_hash == gateway.vault.lookup_hash(NEW_E164)
    page = await organiser.client.get(f"/committees/{world.zegoua}?done=member_changed")
    assert "Membre modifié." in page.text
    assert "+223******99" in page.text
    assert "+223******01" not in page.text
    no_phone_number(page.text)
    [audit] = await _audit(gateway, "committees.member_update")
    assert audit.detail == f"committee {world.zegoua}: member #{mayor.id}: language fr -> bm, number changed"
    # The language alone, the number left empty: the number stays.
    kept = await _post(organiser, path, {"language": "dyu", "phone": ""}, path)
    assert kept.status_code == 303
    mayor, _ = await _members(gateway, world.zegoua)
    assert (mayor.language, gateway.vault.decrypt(mayor.phone_encrypted)) == ("dyu", NEW_E164)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phone": "abc"}, "Un numéro ne contient que des chiffres"),
        ({"phone": "<script>alert(1)</script>"}, "Un numéro ne contient que des chiffres"),
        ({"phone": "7610"}, "Ce numéro a trop peu de chiffres"),
        ({"phone": "+999 76 10 03 01"}, "Cet indicatif de pays n&#39;existe pas"),
        ({"phone": "1" * 40}, "Ce numéro est trop long (32 caractères au plus)."),
        ({"phone": "+226 70 10 03 02"}, "Ce numéro est déjà celui d&#39;un membre de ce comité."),
        ({"language": "en"}, "Choisissez une langue dans la liste"),
        ({"language": ""}, "Choisissez une langue dans la liste"),
    ],
)
async def test_a_bad_member_change_is_said_on_the_form(
    gateway: Gateway, world: World, change: dict[str, str], message: str
) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    mayor, _ = await _members(gateway, world.zegoua)
    path = f"/committees/{world.zegoua}/members/{mayor.id}/edit"
    refused = await _post(organiser, path, {"language": "bm", "phone": "", **change}, path)
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert "Le membre n&#39;a pas été modifié" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert "<script>" not in refused.text
    assert "+223******01" in refused.text  # the current number, masked as ever
    mayor, _ = await _members(gateway, world.zegoua)
    assert (mayor.language, gateway.vault.decrypt(mayor.phone_encrypted)) == ("fr", MAYOR.phone)
    assert await _audit(gateway, "committees.member_update") == []


async def test_only_organisers_change_a_committee_or_a_member(gateway: Gateway, world: World) -> None:
    viewer = await world.people.console("partenaire@example.org", "viewer")
    member = await world.people.console("maire@example.org", "committee", committee_id=world.zegoua)
    mayor, _ = await _members(gateway, world.zegoua)
    banfora = await _area(gateway, "Banfora", 3)
    edit, member_edit = (
        f"/committees/{world.zegoua}/edit",
        f"/committees/{world.zegoua}/members/{mayor.id}/edit",
    )
    for console in (viewer, member):
        page = await console.client.get(f"/committees/{world.zegoua}")
        assert f'href="{edit}"' not in page.text
        assert f'href="{member_edit}"' not in page.text
        token = await console.csrf(f"/committees/{world.zegoua}")
        for path, form in (
            (edit, _edit_form(name="Pris", area=[str(banfora)])),
            (member_edit, {"language": "bm", "phone": NEW_NUMBER}),
        ):
            assert (await console.client.get(path)).status_code == 403, path
            assert (await console.client.post(path, data={**form, "csrf_token": token})).status_code == 403
    organiser = await world.people.console("awa@example.org", "organiser")
    for path, form in (
        (edit, _edit_form(name="Forgé", area=[str(banfora)])),
        (member_edit, {"language": "bm", "phone": NEW_NUMBER}),
    ):
        for forged in (None, "0" * 64):
            data = dict(form) if forged is None else {**form, "csrf_token": forged}
            assert (await organiser.client.post(path, data=data)).status_code == 403, path
    assert await _committee(gateway, world.zegoua) == ("Comité Zégoua", ["Zégoua"])
    mayor, _ = await _members(gateway, world.zegoua)
    assert (mayor.language, gateway.vault.decrypt(mayor.phone_encrypted)) == ("fr", MAYOR.phone)


@pytest.mark.parametrize(
    "path",
    [
        "/committees/abc/edit",
        "/committees/²/edit",
        "/committees/99999999999999999999/edit",
        "/committees/123456/edit",
        "/committees/1/members/abc/edit",
        "/committees/1/members/99999/edit",
    ],
)
async def test_hostile_edit_addresses_are_a_page_not_a_500(gateway: Gateway, world: World, path: str) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    page = await organiser.client.get(path)
    assert page.status_code == 404, page.text
    assert "Ce comité n&#39;existe pas" in page.text
    token = await organiser.csrf("/committees/new")
    posted = await organiser.client.post(path, data={"csrf_token": token, "name": "X", "area": "1"})
    assert posted.status_code == 404


async def test_a_member_of_another_committee_is_not_edited_through_this_one(
    gateway: Gateway, world: World
) -> None:
    organiser = await world.people.console("awa@example.org", "organiser")
    mayor, _ = await _members(gateway, world.zegoua)
    path = f"/committees/{world.banfora}/members/{mayor.id}/edit"
    assert (await organiser.client.get(path)).status_code == 404
    posted = await _post(organiser, path, {"language": "bm", "phone": NEW_NUMBER}, "/committees/new")
    assert posted.status_code == 404
    mayor, _ = await _members(gateway, world.zegoua)
    assert mayor.language == "fr"
