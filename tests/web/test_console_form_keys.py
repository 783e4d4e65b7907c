"""A console form sent twice makes one thing: the composer's draft and the meetings page's meeting
carry a one-time key, kept with what they made, unique per account in the database. A replay (a
double click, back, refresh) gets the first; requests racing with one key make one; the same key
with other contents is said and given a new key; another key, or another person, makes another."""

from __future__ import annotations

import asyncio
import html as markup
import re
from typing import Any

from sqlalchemy import func, select

from gateway.audit.models import AuditEvent
from gateway.broadcasts.models import Broadcast, Meeting
from gateway.wiring import Gateway
from tests.accounts.helpers import Console, People
from tests.web.test_console_broadcasts import a_meeting, area_id, token
from tests.web.test_console_meetings import form as meeting_form

_KEY = re.compile(r'name="form_key" value="([A-Za-z0-9_-]+)"')


def form_key(html: str) -> str:
    found = _KEY.search(html)
    assert found, html
    return found.group(1)


async def opened(console: Console, path: str) -> tuple[str, str]:
    """(the CSRF token, the form key) of a page's form, as a browser would have them."""
    page = await console.client.get(path)
    return token(page.text), form_key(page.text)


async def count(gateway: Gateway, model: type[Broadcast] | type[Meeting]) -> int:
    async with gateway.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(model))).scalar_one())


async def announcement(gateway: Gateway, **changes: Any) -> dict[str, Any]:
    return {
        "kind": "announcement",
        "area": str(await area_id(gateway, "Zégoua")),
        "text_fr": "Route fermée demain.",
        "action": "save",
        **changes,
    }


async def test_a_draft_saved_twice_is_one_draft(gateway: Gateway, organiser: Console) -> None:
    csrf, key = await opened(organiser, "/broadcasts/new")
    fields = {"csrf_token": csrf, "form_key": key, **await announcement(gateway)}
    # "Aperçu" first: the page comes back with the same key, nothing saved yet.
    previewed = await organiser.client.post("/broadcasts/new", data={**fields, "action": "preview"})
    assert (previewed.status_code, form_key(previewed.text)) == (200, key)
    first = await organiser.client.post("/broadcasts/new", data=fields)
    again = await organiser.client.post("/broadcasts/new", data=fields)  # a double click, a refresh
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert re.fullmatch(r"/broadcasts/\d+\?done=created", first.headers["location"])
    assert await count(gateway, Broadcast) == 1
    async with gateway.sessionmaker() as db:
        created = await db.execute(select(func.count()).where(AuditEvent.action == "broadcasts.create"))
        assert created.scalar_one() == 1

    # Sent back after a change (the browser's back, then an edit): said, nothing saved, a new key.
    changed = await organiser.client.post("/broadcasts/new", data={**fields, "text_fr": "Route ouverte."})
    assert changed.status_code == 409
    page = markup.unescape(changed.text)
    first_id = first.headers["location"].split("/")[2].split("?")[0]
    assert f"Ce formulaire a déjà été enregistré en brouillon (diffusion {first_id})" in page
    assert ">Route ouverte.</textarea>" in page
    new_key = form_key(changed.text)
    assert new_key != key
    assert await count(gateway, Broadcast) == 1
    second = await organiser.client.post(
        "/broadcasts/new", data={**fields, "text_fr": "Route ouverte.", "form_key": new_key}
    )
    assert second.status_code == 303
    assert second.headers["location"] != first.headers["location"]
    assert await count(gateway, Broadcast) == 2


async def test_requests_racing_with_one_key_make_one_draft(gateway: Gateway, organiser: Console) -> None:
    csrf, key = await opened(organiser, "/broadcasts/new")
    fields = {"csrf_token": csrf, "form_key": key, **await announcement(gateway)}
    answers = await asyncio.gather(*(organiser.client.post("/broadcasts/new", data=fields) for _ in range(4)))
    assert [a.status_code for a in answers] == [303] * 4
    assert len({a.headers["location"] for a in answers}) == 1
    assert await count(gateway, Broadcast) == 1
    # Another key (another opening of the composer) is another draft.
    csrf, other = await opened(organiser, "/broadcasts/new")
    assert other != key
    fresh = await organiser.client.post(
        "/broadcasts/new", data={**fields, "csrf_token": csrf, "form_key": other}
    )
    assert fresh.status_code == 303
    assert fresh.headers["location"] != answers[0].headers["location"]
    assert await count(gateway, Broadcast) == 2


async def test_keys_belong_to_a_person_and_odd_keys_are_no_keys(
    gateway: Gateway, people: People, organiser: Console
) -> None:
    meeting = await a_meeting(gateway)
    fields = {
        "kind": "notice",
        "meeting": str(meeting.id),
        "area": str(await area_id(gateway, "Zégoua")),
        "action": "save",
    }
    csrf, key = await opened(organiser, "/broadcasts/new")
    mine = await organiser.client.post(
        "/broadcasts/new", data={"csrf_token": csrf, "form_key": key, **fields}
    )
    colleague = await people.console("ali@example.org", "organiser")
    their_csrf = token((await colleague.client.get("/broadcasts/new")).text)
    theirs = await colleague.client.post(
        "/broadcasts/new", data={"csrf_token": their_csrf, "form_key": key, **fields}
    )
    assert mine.status_code == theirs.status_code == 303
    assert mine.headers["location"] != theirs.headers["location"]
    # A form without a key, or with one no page gave, is saved as forms were before keys: each once.
    for odd in ("", "short", "x" * 65, "a b c d e f g h i j k l", "é" * 30):
        for _ in range(2):
            answer = await organiser.client.post(
                "/broadcasts/new", data={"csrf_token": csrf, "form_key": odd, **fields}
            )
            assert answer.status_code == 303, odd
    assert await count(gateway, Broadcast) == 2 + 10
    async with gateway.sessionmaker() as db:
        users = set(
            (await db.execute(select(Broadcast.user_id).where(Broadcast.idempotency_key == key))).scalars()
        )
    assert len(users) == 2


async def test_a_meeting_saved_twice_is_one_meeting(gateway: Gateway, organiser: Console) -> None:
    csrf, key = await opened(organiser, "/meetings")
    fields = {"csrf_token": csrf, "form_key": key, **meeting_form()}
    answers = await asyncio.gather(*(organiser.client.post("/meetings", data=fields) for _ in range(3)))
    assert [a.status_code for a in answers] == [303] * 3
    assert {a.headers["location"] for a in answers} == {"/meetings?done=1"}
    assert await count(gateway, Meeting) == 1
    replay = await organiser.client.post("/meetings", data=fields)
    assert replay.status_code == 303
    assert await count(gateway, Meeting) == 1
    async with gateway.sessionmaker() as db:
        audited = await db.execute(select(func.count()).where(AuditEvent.action == "meetings.create"))
        assert audited.scalar_one() == 1

    changed = await organiser.client.post("/meetings", data={**fields, "place": "École de Zégoua"})
    assert changed.status_code == 409
    page = markup.unescape(changed.text)
    assert "Ce formulaire a déjà créé une réunion, avec un autre contenu" in page
    assert 'value="École de Zégoua"' in page
    new_key = form_key(changed.text)
    assert new_key != key
    second = await organiser.client.post(
        "/meetings", data={**fields, "place": "École de Zégoua", "form_key": new_key}
    )
    assert second.status_code == 303
    assert await count(gateway, Meeting) == 2
