"""A meeting changed or deleted from the console: its page (read by viewers, forms for organisers),
the form prefilled, changes made by the service the API uses on a locked row and audited with the
API's words, bad input said in French, the refusal once a notice has gone out, deletion after a
confirmation with its broadcasts, roles, CSRF and hostile addresses."""

from __future__ import annotations

import html as markup
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select, update

from gateway.audit.models import AuditEvent
from gateway.broadcasts.lifecycle import schedule
from gateway.broadcasts.models import Broadcast, Meeting
from gateway.broadcasts.service import create_broadcast
from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.accounts.helpers import Console, People
from tests.broadcasts.test_broadcasts import subscribers
from tests.helpers import MakeCommittee
from tests.web.test_console_broadcasts import a_meeting, area_id, token


async def read(console: Console, path: str) -> tuple[int, str]:
    answer = await console.client.get(path)
    return answer.status_code, markup.unescape(answer.text)


def changed_form(**changes: str) -> dict[str, str]:
    day = (utcnow() + timedelta(days=9)).date().isoformat()
    return {
        "title_fr": "Forum frontalier (reporté)",
        "title_bm": "Dancɛ lajɛ",
        "date": day,
        "time": "10:15",
        "timezone": "Africa/Bamako",
        "place": "École de Zégoua",
        "area": "",
        "agenda_fr": "Sécurité du marché ; routes",
        **changes,
    }


async def post(console: Console, path: str, data: dict[str, str]) -> tuple[int, str, str]:
    page = await console.client.get(path.removesuffix("/delete"))
    answer = await console.client.post(path, data={"csrf_token": token(page.text), **data})
    return answer.status_code, markup.unescape(answer.text), answer.headers.get("location", "")


async def audit(gateway: Gateway, action: str) -> list[str]:
    async with gateway.sessionmaker() as db:
        rows = await db.execute(
            select(AuditEvent.detail).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return list(rows.scalars())


async def notice(gateway: Gateway, meeting: Meeting, *, scheduled: bool = False) -> Broadcast:
    async with gateway.sessionmaker() as db, db.begin():
        broadcast = await create_broadcast(
            db,
            kind="notice",
            areas=["Zégoua"],
            send_at=utcnow() + timedelta(days=1) if scheduled else None,
            meeting=await db.get_one(Meeting, meeting.id),
        )
        if scheduled:
            await schedule(db, broadcast, gateway.texts, broadcast.send_at)
        return broadcast


async def test_a_meeting_changed_from_its_page(gateway: Gateway, organiser: Console) -> None:
    meeting = await a_meeting(gateway)
    zegoua = await area_id(gateway, "Zégoua")
    listed = (await read(organiser, "/meetings"))[1]
    assert f'<a href="/meetings/{meeting.id}#change">Modifier ou supprimer</a>' in listed
    status, shown = await read(organiser, f"/meetings/{meeting.id}")
    assert status == 200
    # The form shows the meeting as it is: its clock, its place, its commune, its texts.
    local = meeting.starts_at.astimezone(UTC)
    assert f'name="date" value="{local.date().isoformat()}"' in shown
    assert f'name="time" value="{local.strftime("%H:%M")}"' in shown
    assert 'name="place" value="Mairie de Zégoua"' in shown
    assert f'<option value="{zegoua}" selected>' in shown
    assert 'value="Dancɛ lajɛ"' in shown
    assert ">Sécurité du marché</textarea>" in shown
    assert "Aucune diffusion n'est liée à cette réunion." in shown

    status, _, location = await post(organiser, f"/meetings/{meeting.id}", changed_form())
    assert (status, location) == (303, f"/meetings/{meeting.id}?done=updated")
    async with gateway.sessionmaker() as db:
        now = await db.get_one(Meeting, meeting.id)
    assert now.title == {"fr": "Forum frontalier (reporté)", "bm": "Dancɛ lajɛ"}
    assert (now.place, now.area_id, now.agenda) == (
        "École de Zégoua",
        None,
        {"fr": "Sécurité du marché ; routes"},
    )
    assert now.starts_at.astimezone(UTC).strftime("%H:%M") == "10:15"
    assert await audit(gateway, "meetings.update") == [
        f"meeting {meeting.id}: title, agenda, place, area_id, starts_at"
    ]
    assert "Réunion modifiée." in (await read(organiser, location))[1]
    assert "Forum frontalier (reporté)" in (await read(organiser, "/meetings"))[1]

    # The same form again changes nothing, and says nothing in the audit log.
    status, _, _ = await post(organiser, f"/meetings/{meeting.id}", changed_form())
    assert status == 303
    assert len(await audit(gateway, "meetings.update")) == 1


async def test_a_past_meeting_keeps_its_start_when_its_words_are_fixed(
    gateway: Gateway, organiser: Console
) -> None:
    meeting = await a_meeting(gateway)
    held = (utcnow() - timedelta(days=2)).replace(second=0, microsecond=0)
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Meeting).where(Meeting.id == meeting.id).values(starts_at=held))
    form = changed_form(date=held.date().isoformat(), time=held.strftime("%H:%M"), place="Mairie")
    status, _, _ = await post(organiser, f"/meetings/{meeting.id}", form)
    assert status == 303
    # Moved to another past time, it is refused.
    earlier = held - timedelta(days=1)
    status, page, _ = await post(
        organiser, f"/meetings/{meeting.id}", {**form, "date": earlier.date().isoformat()}
    )
    assert status == 422
    assert "La réunion serait dans le passé" in page
    async with gateway.sessionmaker() as db:
        now = await db.get_one(Meeting, meeting.id)
    assert (now.place, now.starts_at) == ("Mairie", held)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"title_fr": "", "title_bm": ""}, "Écrivez le sujet de la réunion"),
        ({"title_bm": "a" * 500}, "Le sujet en Bamanankan est trop long"),
        ({"place": "   "}, "Dites où se tient la réunion."),
        ({"place": "p" * 170}, "Le lieu est trop long"),
        ({"date": "demain"}, "La date ou l'heure de la réunion n'est pas lisible."),
        ({"time": "9h"}, "La date ou l'heure de la réunion n'est pas lisible."),
        ({"date": "2020-01-01"}, "La réunion serait dans le passé"),
        ({"timezone": "Europe/Paris"}, "Choisissez le pays"),
        ({"timezone": "../../etc/passwd"}, "Choisissez le pays"),
        ({"area": "99999999"}, "Ce lieu n'existe pas ou plus"),
        ({"area": "-1"}, "Ce lieu n'existe pas ou plus"),
    ],
)
async def test_bad_changes_are_said_and_kept(
    gateway: Gateway, organiser: Console, changes: dict[str, str], said: str
) -> None:
    meeting = await a_meeting(gateway)
    status, page, _ = await post(organiser, f"/meetings/{meeting.id}", changed_form(**changes))
    assert status == 422
    assert said in page
    assert 'role="alert"' in page
    assert ">Sécurité du marché ; routes</textarea>" in page  # what was typed is kept
    async with gateway.sessionmaker() as db:
        now = await db.get_one(Meeting, meeting.id)
    assert now.place == "Mairie de Zégoua"
    assert await audit(gateway, "meetings.update") == []


async def test_a_new_start_after_a_scheduled_notice_is_said(gateway: Gateway, organiser: Console) -> None:
    meeting = await a_meeting(gateway)
    scheduled = await notice(gateway, meeting, scheduled=True)
    soon = utcnow() + timedelta(hours=12)
    form = changed_form(date=soon.date().isoformat(), time=soon.strftime("%H:%M"))
    status, page, _ = await post(organiser, f"/meetings/{meeting.id}", form)
    assert status == 422
    assert f"L'avis (diffusion {scheduled.id}) est programmé après ce nouveau début" in page
    async with gateway.sessionmaker() as db:
        assert (await db.get_one(Meeting, meeting.id)).starts_at == meeting.starts_at


async def test_no_change_once_a_notice_has_gone_out(gateway: Gateway, organiser: Console) -> None:
    await subscribers(gateway, [("+22376000811", "fr", "Zégoua")])
    meeting = await a_meeting(gateway)
    page = await organiser.client.get(f"/meetings/{meeting.id}")  # its form, before the notice left
    csrf = token(page.text)
    sent = await notice(gateway, meeting, scheduled=True)
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Broadcast).where(Broadcast.id == sent.id).values(send_at=utcnow()))
    await gateway.expander.expand_all()

    said = "Cette réunion ne peut plus être modifiée ni supprimée : un de ses avis a commencé à partir"
    changed = await organiser.client.post(
        f"/meetings/{meeting.id}", data={"csrf_token": csrf, **changed_form()}
    )
    assert changed.status_code == 409
    assert said in markup.unescape(changed.text)
    deleted = await organiser.client.post(
        f"/meetings/{meeting.id}/delete", data={"csrf_token": csrf, "confirm": "1"}
    )
    assert deleted.status_code == 409
    assert said in markup.unescape(deleted.text)
    status, shown = await read(organiser, f"/meetings/{meeting.id}")
    assert status == 200
    assert said in shown
    assert f'action="/meetings/{meeting.id}' not in shown  # no form to change or delete it
    async with gateway.sessionmaker() as db:
        kept = await db.get_one(Meeting, meeting.id)
    assert kept.place == "Mairie de Zégoua"
    assert await audit(gateway, "meetings.update") == await audit(gateway, "meetings.delete") == []


async def test_a_meeting_deleted_after_a_confirmation_with_its_broadcasts(
    gateway: Gateway, organiser: Console
) -> None:
    meeting = await a_meeting(gateway)
    kept = await a_meeting(gateway, fr="Autre forum")
    await notice(gateway, meeting, scheduled=True)  # a notice and its reminder
    await notice(gateway, meeting)  # a draft
    other = await notice(gateway, kept)
    status, shown = await read(organiser, f"/meetings/{meeting.id}")
    assert status == 200
    assert "Ses 3 diffusion(s) — brouillons ou programmées, rappels compris — seront supprimées" in shown

    status, page, _ = await post(organiser, f"/meetings/{meeting.id}/delete", {})
    assert status == 422
    assert "Cochez la case pour confirmer la suppression." in page
    status, _, location = await post(organiser, f"/meetings/{meeting.id}/delete", {"confirm": "1"})
    assert (status, location) == (303, "/meetings?done=deleted&broadcasts=3")
    listed = (await read(organiser, location))[1]
    assert "Réunion supprimée, avec 3 diffusion(s) qui lui étaient liées." in listed
    async with gateway.sessionmaker() as db:
        assert list((await db.execute(select(Meeting.id))).scalars()) == [kept.id]
        assert list((await db.execute(select(Broadcast.id))).scalars()) == [other.id]
    assert await audit(gateway, "meetings.delete") == [f"meeting {meeting.id} with 3 broadcast(s)"]
    assert (await read(organiser, f"/meetings/{meeting.id}"))[0] == 404
    again, _, _ = await post(organiser, f"/meetings/{kept.id}/delete", {"confirm": "1"})
    assert again == 303
    gone = await organiser.client.post(
        f"/meetings/{meeting.id}/delete",
        data={"csrf_token": token((await organiser.client.get("/meetings")).text), "confirm": "1"},
    )
    assert gone.status_code == 404
    assert "Cette réunion n'existe pas ou a été supprimée." in markup.unescape(gone.text)


async def test_who_may_read_change_and_delete(
    gateway: Gateway, people: People, organiser: Console, make_committee: MakeCommittee
) -> None:
    meeting = await a_meeting(gateway)
    path = f"/meetings/{meeting.id}"
    viewer = await people.console("lecteur@example.org", "viewer")
    for page in ("/meetings", path):
        status, shown = await read(viewer, page)
        assert status == 200, page
        assert "Forum frontalier" in shown
        assert 'method="post" action="/meetings' not in shown  # reads only
        assert "Préparer l'avis" not in shown
        assert "Modifier ou supprimer" not in shown
    csrf = token((await viewer.client.get(path)).text)
    for url, data in ((path, changed_form()), (f"{path}/delete", {"confirm": "1"})):
        assert (await viewer.client.post(url, data={"csrf_token": csrf, **data})).status_code == 403

    committee = await make_committee("Comité Zégoua", ["Zégoua"], [])
    member = await people.console("maire@example.org", "committee", committee.id)
    for url in ("/meetings", path):
        assert (await member.client.get(url)).status_code == 403
    # Without the page's token, the organiser's own forms are refused.
    for url, data in ((path, changed_form()), (f"{path}/delete", {"confirm": "1"})):
        assert (await organiser.client.post(url, data=data)).status_code == 403
        forged = await organiser.client.post(url, data={"csrf_token": "0" * 64, **data})
        assert forged.status_code == 403
    async with gateway.sessionmaker() as db:
        assert (await db.get_one(Meeting, meeting.id)).place == "Mairie de Zégoua"


@pytest.mark.parametrize("address", ["abc", "0", "99999999", "1" * 40, "x%00y", "-1", "²"])
async def test_hostile_addresses_never_give_a_500(organiser: Console, address: str) -> None:
    csrf = token((await organiser.client.get("/meetings")).text)
    assert (await organiser.client.get(f"/meetings/{address}")).status_code == 404
    for url in (f"/meetings/{address}", f"/meetings/{address}/delete"):
        answer = await organiser.client.post(url, data={"csrf_token": csrf, "confirm": "1", **changed_form()})
        assert answer.status_code == 404, url
