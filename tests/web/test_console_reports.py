"""The reports inbox over HTTP: filters, a committee member kept to their areas (list, page,
export), triage of a placeless SMS report, status changes that tell the reporter, CSRF, viewers
read only, and hostile query strings that never give a 500."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.audit.models import AuditEvent
from gateway.committees.service import NewMember
from gateway.contacts.service import get_or_create_contact
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report, ReportEvent
from gateway.wiring import Gateway
from tests.accounts.helpers import Console, People
from tests.helpers import MakeCommittee, MakeReport
from tests.sms.test_service import reports, text

MAYOR = NewMember("Maire de Zégoua", "+22376100301", "fr", "maire")
REPORTER = "+22376000070"
_PHONE = re.compile(r"\+?22[36]\d{8}")


@pytest.fixture
async def world(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> AsyncIterator[dict[str, object]]:
    zegoua = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR], schedule="daily 08:00")
    banfora = await make_committee("Comité Banfora", ["Banfora"], [])
    async with gateway.sessionmaker() as db, db.begin():
        contact = await get_or_create_contact(db, gateway.vault, REPORTER)
        contact.language = "fr"
    ours = await make_report(
        "Zégoua",
        contact_id=contact.id,
        text="Vol de bétail près du marché, appelez le +22376999999",
        at=datetime(2026, 11, 20, 10, tzinfo=UTC),
    )
    urgent = await make_report(
        "Zégoua",
        topic="community_conflict",
        urgency="urgent",
        anonymous=True,
        at=datetime(2026, 11, 25, tzinfo=UTC),
    )
    theirs = await make_report(
        "Banfora", topic="cross_border_trade", language="dyu", at=datetime(2026, 11, 26, tzinfo=UTC)
    )
    async with AsyncExitStack() as stack:
        yield {
            "people": People(gateway, stack),
            "zegoua": zegoua.id,
            "banfora": banfora.id,
            "ours": ours.reference,
            "urgent": urgent.reference,
            "theirs": theirs.reference,
        }


def _refs(html: str) -> list[str]:
    return re.findall(r'<a href="/reports/(R-[0-9A-Z]+)">', html)


async def _csrf(console: Console, path: str) -> str:
    return await console.csrf(path)


async def _area_id(gateway: Gateway, name: str) -> int:
    from gateway.areas.models import Area

    async with gateway.sessionmaker() as db:
        return (await db.execute(select(Area.id).where(Area.name == name, Area.level == 3))).scalar_one()


async def test_an_organiser_filters_the_list(gateway: Gateway, world: dict[str, object]) -> None:
    people: People = world["people"]  # type: ignore[assignment]
    organiser = await people.console("awa@example.org", "organiser")
    everything = await organiser.client.get("/reports")
    assert everything.status_code == 200
    assert _refs(everything.text) == [world["theirs"], world["urgent"], world["ours"]]  # newest first
    assert "Signalements" in everything.text
    assert _PHONE.search(everything.text) is None
    zegoua = await _area_id(gateway, "Zégoua")
    for query, expected in (
        ({"area": str(zegoua)}, [world["urgent"], world["ours"]]),
        ({"topic": "cross_border_trade"}, [world["theirs"]]),
        ({"language": "dyu"}, [world["theirs"]]),
        ({"urgent": "1"}, [world["urgent"]]),
        ({"status": "closed"}, []),
        ({"channel": "ussd"}, []),
        ({"channel": "sms"}, [world["theirs"], world["urgent"], world["ours"]]),
        ({"from": "2026-11-25", "to": "2026-11-25"}, [world["urgent"]]),
        ({"to": "2026-11-24"}, [world["ours"]]),
        ({"placeless": "1"}, []),
    ):
        page = await organiser.client.get("/reports", params=query)
        assert page.status_code == 200, (query, page.text)
        assert _refs(page.text) == expected, query
    # The form shows back what was asked.
    page = await organiser.client.get("/reports", params={"topic": "cross_border_trade", "urgent": "1"})
    assert '<option value="cross_border_trade" selected>' in page.text
    assert 'name="urgent" value="1" checked' in page.text
    async with gateway.sessionmaker() as db:
        audited = (
            (await db.execute(select(AuditEvent).where(AuditEvent.action == "reports.list"))).scalars().all()
        )
    assert audited
    assert audited[0].role == "organiser"


async def test_fifty_a_page_then_older_ones(gateway: Gateway, make_report: MakeReport) -> None:
    for day in range(1, 28):
        for hour in (8, 9):
            await make_report("Zégoua", at=datetime(2026, 10, day, hour, tzinfo=UTC))
    async with AsyncExitStack() as stack:
        organiser = await People(gateway, stack).console("awa@example.org", "organiser")
        first = await organiser.client.get("/reports")
        assert len(_refs(first.text)) == 50
        # A page for a 2G/3G phone: 50 rows in about 19 kB of HTML, no script (the CSS is shared).
        assert len(first.content) < 25_000
        [next_link] = re.findall(r'href="(/reports\?after=[^"]+)" rel="next"', first.text)
        second = await organiser.client.get(next_link.replace("&amp;", "&"))
        assert len(_refs(second.text)) == 4
        assert not set(_refs(first.text)) & set(_refs(second.text))
        assert 'rel="next"' not in second.text


async def test_a_committee_member_sees_only_their_areas(gateway: Gateway, world: dict[str, object]) -> None:
    people: People = world["people"]  # type: ignore[assignment]
    member = await people.console("maire@example.org", "committee", committee_id=world["zegoua"])  # type: ignore[arg-type]
    listed = await member.client.get("/reports")
    assert _refs(listed.text) == [world["urgent"], world["ours"]]
    # Asking for another committee's commune gives nothing of it, and the form offers only theirs.
    banfora = await _area_id(gateway, "Banfora")
    assert ">Banfora" not in listed.text
    outside = await member.client.get("/reports", params={"area": str(banfora)})
    assert outside.status_code == 400  # not theirs to pick: said, and their own list shown
    assert world["theirs"] not in outside.text
    # Their page is, to this member, no report at all: 404, not 403.
    hidden = await member.client.get(f"/reports/{world['theirs']}")
    assert hidden.status_code == 404
    assert "cross" not in hidden.text.lower()
    own = await member.client.get(f"/reports/{world['ours']}")
    assert own.status_code == 200
    # Neither can they move it, nor page past it.
    token = await _csrf(member, f"/reports/{world['ours']}")
    moved = await member.client.post(
        f"/reports/{world['theirs']}/status", data={"status": "closed", "note": "x", "csrf_token": token}
    )
    assert moved.status_code == 404
    assert (await member.client.get("/reports", params={"after": world["theirs"]})).status_code == 400
    export = await member.client.get("/reports.csv")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted(r["reference"] for r in rows) == sorted([world["ours"], world["urgent"]])  # type: ignore[type-var]
    async with gateway.sessionmaker() as db:
        audit = (
            await db.execute(select(AuditEvent).where(AuditEvent.action == "reports.export"))
        ).scalar_one()
    assert (audit.role, audit.rows) == ("committee", 2)


async def test_the_page_shows_text_history_and_no_phone_number(
    gateway: Gateway, world: dict[str, object]
) -> None:
    people: People = world["people"]  # type: ignore[assignment]
    viewer = await people.console("partenaire@example.org", "viewer")
    page = await viewer.client.get(f"/reports/{world['ours']}")
    assert page.status_code == 200
    assert "Vol de bétail près du marché" in page.text
    assert "+22376999999" not in page.text  # masked, as everywhere
    assert REPORTER not in page.text
    assert "Zégoua" in page.text
    assert '<form method="post" action="/reports/' not in page.text  # a viewer gets no form
    async with gateway.sessionmaker() as db:
        read = (await db.execute(select(AuditEvent).where(AuditEvent.action == "reports.read"))).scalar_one()
    assert read.detail == world["ours"]


async def test_an_organiser_places_a_placeless_sms_report_and_its_committee_hears(
    gateway: Gateway, world: dict[str, object]
) -> None:
    people: People = world["people"]  # type: ignore[assignment]
    organiser = await people.console("awa@example.org", "organiser")
    await text(organiser.client, "+22376000401", "URGENT on tire au marché")
    placeless = [r for r in await reports(gateway) if r.area_id is None]
    assert len(placeless) == 1
    reference = placeless[0].reference
    listed = await organiser.client.get("/reports", params={"placeless": "1"})
    assert _refs(listed.text) == [reference]
    assert "sans lieu" in listed.text
    page = await organiser.client.get(f"/reports/{reference}")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
    zegoua = await _area_id(gateway, "Zégoua")
    done = await organiser.client.post(
        f"/reports/{reference}/place",
        data={"place": str(zegoua), "topic": "security_incident", "csrf_token": token},
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/reports/{reference}?done=place")
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report).where(Report.reference == reference))).scalar_one()
        alerts = (
            (await db.execute(select(OutboundMessage).where(OutboundMessage.kind == "alert"))).scalars().all()
        )
        kinds = {
            e.kind
            for e in (
                await db.execute(select(ReportEvent).where(ReportEvent.report_id == report.id))
            ).scalars()
        }
        audit = (
            await db.execute(select(AuditEvent).where(AuditEvent.action == "reports.change"))
        ).scalar_one()
    assert (report.area_id, report.topic) == (zegoua, "security_incident")
    assert [gateway.vault.decrypt(a.phone_encrypted) for a in alerts] == [MAYOR.phone]  # the urgent alert
    assert {"place", "topic"} <= kinds
    assert "place=Zégoua" in audit.detail
    shown = await organiser.client.get(f"/reports/{reference}?done=place")
    assert "Lieu et sujet enregistrés." in shown.text
    # Now the Zégoua committee member sees it.
    member = await people.console("maire@example.org", "committee", committee_id=world["zegoua"])  # type: ignore[arg-type]
    assert (await member.client.get(f"/reports/{reference}")).status_code == 200


async def test_closing_with_a_note_tells_the_reporter(gateway: Gateway, world: dict[str, object]) -> None:
    people: People = world["people"]  # type: ignore[assignment]
    member = await people.console("maire@example.org", "committee", committee_id=world["zegoua"])  # type: ignore[arg-type]
    path = f"/reports/{world['ours']}"
    token = await _csrf(member, path)
    refused = await member.client.post(
        f"{path}/status", data={"status": "closed", "note": "", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "écrivez dans la note ce qui a été fait" in refused.text
    closed = await member.client.post(
        f"{path}/status", data={"status": "closed", "note": "Les bêtes ont été rendues.", "csrf_token": token}
    )
    assert closed.status_code == 303
    async with gateway.sessionmaker() as db:
        [message] = (await db.execute(select(OutboundMessage))).scalars().all()
        report = (await db.execute(select(Report).where(Report.reference == world["ours"]))).scalar_one()
    assert report.status == "closed"
    assert gateway.vault.decrypt(message.phone_encrypted) == REPORTER
    assert world["ours"] in message.body  # type: ignore[operator]
    assert "Les betes ont été rendues." in message.body
    page = await member.client.get(f"{path}?done=status")
    assert "État enregistré." in page.text
    assert "Les bêtes ont été rendues." in page.text  # in the history
    assert "auteur informé par SMS" in page.text


async def test_forms_need_their_csrf_token_and_viewers_cannot_post(
    gateway: Gateway, world: dict[str, object]
) -> None:
    people: People = world["people"]  # type: ignore[assignment]
    organiser = await people.console("awa@example.org", "organiser")
    path = f"/reports/{world['ours']}"
    for data in ({"status": "in_progress"}, {"status": "in_progress", "csrf_token": "0" * 64}):
        refused = await organiser.client.post(f"{path}/status", data=data)
        assert refused.status_code == 403
        assert "Formulaire refusé" in refused.text
    viewer = await people.console("partenaire@example.org", "viewer")
    token = await _csrf(viewer, "/reports")
    for action, data in (("status", {"status": "in_progress"}), ("place", {"topic": "other"})):
        denied = await viewer.client.post(f"{path}/{action}", data={**data, "csrf_token": token})
        assert denied.status_code == 403, action
    member = await people.console("maire@example.org", "committee", committee_id=world["zegoua"])  # type: ignore[arg-type]
    token = await _csrf(member, path)
    assert (
        await member.client.post(f"{path}/place", data={"topic": "other", "csrf_token": token})
    ).status_code == 403
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report).where(Report.reference == world["ours"]))).scalar_one()
    assert (report.status, report.topic) == ("new", "security_incident")


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-13-45"},
        {"to": "9999-12-31"},
        {"from": "'; DROP TABLE reports; --"},
        {"topic": "nope"},
        {"topic": "' OR 1=1 --"},
        {"status": "\x00closed"},
        {"language": "en"},
        {"channel": "whatsapp"},
        {"area": "99999999999999999999"},
        {"area": "-1"},
        {"area": "1 OR 1=1"},
        {"area": "²"},  # a digit to str.isdigit(), not to int()
        {"after": "R-ZZZZ"},
        {"after": "x" * 5000},
        {"page": "99999999999999999999999"},
        {"urgent": "\u202e"},
    ],
)
async def test_hostile_queries_give_a_clear_page(
    gateway: Gateway, world: dict[str, object], query: dict[str, str]
) -> None:
    people: People = world["people"]  # type: ignore[assignment]
    organiser = await people.console("awa@example.org", "organiser")
    page = await organiser.client.get("/reports", params=query)
    assert page.status_code in (200, 400), page.text
    assert "<h1>Signalements</h1>" in page.text
    assert "console.reports" not in page.text  # no raw message id
    if page.status_code == 400:
        assert 'role="alert"' in page.text
    if page.status_code == 400 and "after" not in query:  # the export is the whole list: no pages
        export = await organiser.client.get("/reports.csv", params=query)
        assert export.status_code == 400
    for path in ("/reports/' OR 1=1", "/reports/R-%00", "/reports/" + "A" * 300):
        assert (await organiser.client.get(path)).status_code == 404


async def test_an_export_waits_for_a_free_slot_as_the_api_does(
    gateway: Gateway, world: dict[str, object]
) -> None:
    people: People = world["people"]  # type: ignore[assignment]
    organiser = await people.console("awa@example.org", "organiser")
    organiser.app.state.export_slots = asyncio.Semaphore(0)  # every slot taken
    busy = await organiser.client.get("/reports.csv")
    assert busy.status_code == 429
    assert busy.headers["retry-after"] == "30"
    assert "Trop de téléchargements en cours" in busy.text
    async with gateway.sessionmaker() as db:
        exports = (await db.execute(select(AuditEvent).where(AuditEvent.action == "reports.export"))).all()
    assert exports == []  # refused for want of a slot: nothing was exported, nothing audited


async def test_a_member_taking_a_report_in_hand_tells_the_reporter(
    gateway: Gateway, world: dict[str, object]
) -> None:
    people: People = world["people"]  # type: ignore[assignment]
    member = await people.console("maire@example.org", "committee", committee_id=world["zegoua"])  # type: ignore[arg-type]
    path = f"/reports/{world['ours']}"
    token = await _csrf(member, path)
    taken = await member.client.post(f"{path}/status", data={"status": "acknowledged", "csrf_token": token})
    assert taken.status_code == 303
    async with gateway.sessionmaker() as db:
        [message] = (await db.execute(select(OutboundMessage))).scalars().all()
    assert gateway.vault.decrypt(message.phone_encrypted) == REPORTER
    # In the committee's name, as `OK R-…` by SMS, never the member's.
    assert message.body == f"Comité Zégoua: votre signalement {world['ours']} a bien été recu. Merci."
    assert "auteur informé par SMS" in (await member.client.get(path)).text
