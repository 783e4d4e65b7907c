"""Meetings in the console over HTTP: the list, making one (read as a clock where it is held), its
notice started from it, bad input said in French with the values kept, CSRF, roles (a viewer reads),
the audit log. Changing and deleting one: test_console_meeting_changes.py; a form sent twice:
test_console_form_keys.py."""

from __future__ import annotations

import html as markup
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from gateway.audit.models import AuditEvent
from gateway.broadcasts.models import Meeting
from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.accounts.helpers import Console, People
from tests.web.test_console_broadcasts import area_id, token


@pytest.fixture
async def organiser(gateway: Gateway) -> AsyncIterator[Console]:
    async with AsyncExitStack() as stack:
        yield await People(gateway, stack).console("awa@example.org", "organiser")


def form(**changes: str) -> dict[str, str]:
    day = (utcnow() + timedelta(days=6)).date().isoformat()
    return {
        "title_fr": "Forum frontalier",
        "title_bm": "Dancɛ lajɛ",
        "date": day,
        "time": "09:30",
        "timezone": "Africa/Ouagadougou",
        "place": "Mairie de Niangoloko",
        "agenda_fr": "Sécurité du marché",
        **changes,
    }


async def post(console: Console, data: dict[str, str]) -> tuple[int, str, str]:
    page = await console.client.get("/meetings")
    answer = await console.client.post("/meetings", data={"csrf_token": token(page.text), **data})
    return answer.status_code, markup.unescape(answer.text), answer.headers.get("location", "")


async def test_a_meeting_made_then_its_notice_started(gateway: Gateway, organiser: Console) -> None:
    empty = await organiser.client.get("/meetings")
    assert empty.status_code == 200
    assert "Aucune réunion à venir." in markup.unescape(empty.text)
    niangoloko = await area_id(gateway, "Niangoloko")
    status, _, location = await post(organiser, form(area=str(niangoloko)))
    assert (status, location) == (303, "/meetings?done=1")
    async with gateway.sessionmaker() as db:
        meeting = (await db.execute(select(Meeting))).scalar_one()
        [audited] = (
            await db.execute(select(AuditEvent).where(AuditEvent.action == "meetings.create"))
        ).scalars()
    assert meeting.title == {"fr": "Forum frontalier", "bm": "Dancɛ lajɛ"}
    assert meeting.agenda == {"fr": "Sécurité du marché"}
    assert (meeting.place, meeting.area_id, meeting.timezone) == (
        "Mairie de Niangoloko",
        niangoloko,
        "Africa/Ouagadougou",
    )
    assert meeting.starts_at.astimezone(UTC).strftime("%H:%M") == "09:30"  # Ouagadougou keeps GMT
    assert (audited.role, audited.detail) == ("organiser", f"meeting {meeting.id}")
    listed = markup.unescape((await organiser.client.get(location)).text)
    assert "Réunion enregistrée." in listed
    assert "Forum frontalier" in listed
    assert f'href="/broadcasts/new?meeting={meeting.id}">Préparer l\'avis →' in listed
    notice = await organiser.client.get(f"/broadcasts/new?meeting={meeting.id}")
    assert f'<option value="{meeting.id}" selected>' in notice.text
    assert f'value="{niangoloko}" checked' in notice.text


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"title_fr": "", "title_bm": ""}, "Écrivez le sujet de la réunion"),
        ({"title_bm": "a" * 500}, "Le sujet en Bamanankan est trop long"),
        ({"agenda_fr": "b" * 500}, "L'ordre du jour en Français est trop long"),
        ({"place": ""}, "Dites où se tient la réunion."),
        ({"place": "p" * 170}, "Le lieu est trop long"),
        ({"date": "31/12/2026"}, "La date ou l'heure de la réunion n'est pas lisible."),
        ({"time": "25:99"}, "La date ou l'heure de la réunion n'est pas lisible."),
        ({"date": "9999-01-01"}, "La date ou l'heure de la réunion n'est pas lisible."),
        ({"date": "2020-01-01"}, "La réunion serait dans le passé"),
        ({"timezone": "Europe/Paris"}, "Choisissez le pays"),
        ({"area": "99999999"}, "Ce lieu n'existe pas ou plus"),
        ({"area": "x"}, "Ce lieu n'existe pas ou plus"),
    ],
)
async def test_bad_input_is_said_and_kept(
    gateway: Gateway, organiser: Console, changes: dict[str, str], said: str
) -> None:
    status, page, _ = await post(organiser, form(**changes))
    assert status == 422
    assert said in page
    assert 'role="alert"' in page
    if changes.get("place", "x") and "place" not in changes:
        assert 'value="Mairie de Niangoloko"' in page
    assert ">Sécurité du marché</textarea>" in page or "agenda_fr" in changes
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(Meeting))).first() is None


async def test_roles_and_csrf(gateway: Gateway, organiser: Console) -> None:
    refused = await organiser.client.post("/meetings", data=form())
    assert refused.status_code == 403
    async with AsyncExitStack() as stack:
        viewer = await People(gateway, stack).console("lecteur@example.org", "viewer")
        read = await viewer.client.get("/meetings")
        assert read.status_code == 200  # a viewer reads the list, without the form
        assert 'method="post" action="/meetings' not in read.text
        page = await organiser.client.get("/meetings")
        # Even with a token, a viewer's post is refused by role.
        for csrf in (token(page.text), token(read.text)):
            assert (
                await viewer.client.post("/meetings", data={"csrf_token": csrf, **form()})
            ).status_code == 403
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(Meeting))).first() is None
