"""Organiser API: meeting → notice drafted with its preview → scheduled → expansion → RSVP →
counts; controls; listing; editing and deleting meetings; idempotent creation; validation;
broadcasts whose meeting cannot be put into words."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import httpx
import pytest
from sqlalchemy import func, select, update

from gateway.api.broadcasts import Kind, Status
from gateway.audit.models import AuditEvent
from gateway.broadcasts.lifecycle import STATUSES
from gateway.broadcasts.models import Broadcast, Meeting
from gateway.broadcasts.service import KINDS
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.api.test_committees_api import token
from tests.broadcasts.test_broadcasts import subscribers, text
from tests.helpers import MakeCommittee, count

Headers = dict[str, str]
MakeMeeting = Callable[..., Awaitable[int]]
Draft = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
async def organiser(gateway: Gateway) -> Headers:
    return await token(gateway, "organiser")


@pytest.fixture
def make_meeting(client: httpx.AsyncClient, organiser: Headers) -> MakeMeeting:
    """A meeting in Zégoua three days ahead (fields overridable); returns its id."""

    async def make(**fields: Any) -> int:
        body = {
            "title": {"fr": "Forum frontalier", "bm": "Dancɛ lajɛ"},
            "place": "Mairie de Zégoua",
            "area": "Zégoua",
            "starts_at": (utcnow() + timedelta(days=3)).isoformat(),
            "agenda": {"fr": "Sécurité du marché."},
            **fields,
        }
        response = await client.post("/api/v1/meetings", headers=organiser, json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    return make


@pytest.fixture
def draft(client: httpx.AsyncClient, organiser: Headers) -> Draft:
    """POST /broadcasts (an announcement to Zégoua unless told otherwise); the 201 answer."""

    async def make(headers: Headers | None = None, **fields: Any) -> dict[str, Any]:
        body = {
            "kind": "announcement",
            "areas": ["Zégoua"],
            "texts": {"fr": "Route fermée demain."},
            **fields,
        }
        response = await client.post("/api/v1/broadcasts", headers=headers or organiser, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return make


async def schedule(
    client: httpx.AsyncClient, headers: Headers, broadcast_id: int, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/broadcasts/{broadcast_id}/schedule", headers=headers, json=body or None
    )


def test_the_api_filters_by_every_status_and_kind() -> None:
    assert (get_args(Status), get_args(Kind)) == (STATUSES, KINDS)


async def test_meeting_notice_end_to_end(
    client: httpx.AsyncClient, gateway: Gateway, organiser: Headers, make_meeting: MakeMeeting, draft: Draft
) -> None:
    await subscribers(
        gateway,
        [
            ("+22376000501", "fr", "Zégoua"),
            ("+22376000502", "bm", "Zégoua"),
            ("+22670000503", "mos", "Niangoloko"),
            ("+22670000504", "dyu", "Niangoloko"),
        ],
    )
    meeting_id = await make_meeting()
    view = await draft(kind="notice", areas=["Zégoua", "Niangoloko"], meeting_id=meeting_id, texts={})
    languages = {line["language"]: line for line in view["dry_run"]["languages"]}
    assert view["dry_run"]["recipients"] == 3  # fr, bm, and dyu reading the Bambara title
    assert languages["mos"]["missing_text"] is True
    assert languages["mos"]["sent_as"] == "-"
    assert (await schedule(client, organiser, view["id"])).json()["status"] == "scheduled"

    await gateway.expander.expand_all()
    await text(client, "+22376000501", "Oui")
    await text(client, "+22376000502", "2")
    view = (
        await client.get(f"/api/v1/broadcasts/{view['id']}", headers=await token(gateway, "viewer"))
    ).json()
    assert view["status"] == "done"
    totals = {
        key: sum(line[key] for line in view["stats"])
        for key in ("recipients", "queued", "yes", "no", "no_answer")
    }
    assert totals == {"recipients": 3, "queued": 3, "yes": 1, "no": 1, "no_answer": 1}

    subs = (await client.get("/api/v1/subscriptions", headers=organiser)).json()
    assert {row["area"]: row["subscribers"] for row in subs} == {"Niangoloko": 2, "Zégoua": 2}
    listed = (await client.get("/api/v1/contacts", headers=organiser)).json()
    assert all("*" in c["phone"] for c in listed)
    assert (await client.get("/api/v1/contacts", headers=await token(gateway, "viewer"))).status_code == 403


async def test_pause_resume_cancel(client: httpx.AsyncClient, organiser: Headers, draft: Draft) -> None:
    created = await draft(areas=["Kadiolo, Kadiolo"], send_at=(utcnow() + timedelta(hours=2)).isoformat())
    broadcast_id = created["id"]
    assert (await schedule(client, organiser, broadcast_id)).status_code == 200
    assert (await client.post(f"/api/v1/broadcasts/{broadcast_id}/pause", headers=organiser)).json()[
        "status"
    ] == "paused"
    assert (
        await client.post(f"/api/v1/broadcasts/{broadcast_id}/pause", headers=organiser)
    ).status_code == 409
    assert (await client.post(f"/api/v1/broadcasts/{broadcast_id}/resume", headers=organiser)).json()[
        "status"
    ] == "scheduled"
    assert (await client.post(f"/api/v1/broadcasts/{broadcast_id}/cancel", headers=organiser)).json()[
        "status"
    ] == "cancelled"
    assert (await client.post(f"/api/v1/broadcasts/{broadcast_id}/fly", headers=organiser)).status_code == 422
    assert (await client.post("/api/v1/broadcasts/999/cancel", headers=organiser)).status_code == 404
    assert (await client.post("/api/v1/broadcasts/999/schedule", headers=organiser)).status_code == 404


async def test_a_draft_goes_nowhere_until_it_is_scheduled(
    client: httpx.AsyncClient, gateway: Gateway, organiser: Headers, make_meeting: MakeMeeting, draft: Draft
) -> None:
    await subscribers(gateway, [("+22376000511", "fr", "Zégoua")])
    view = await draft(kind="notice", meeting_id=await make_meeting(), texts={})
    assert (view["status"], view["send_at"]) == ("draft", None)
    await gateway.expander.expand_all()
    reminders = select(func.count()).where(Broadcast.kind == "reminder")
    assert await count(gateway, select(func.count()).select_from(OutboundMessage)) == 0
    assert await count(gateway, reminders) == 0  # the reminder comes with scheduling
    for action in ("pause", "resume"):
        assert (
            await client.post(f"/api/v1/broadcasts/{view['id']}/{action}", headers=organiser)
        ).status_code == 409

    viewer = await token(gateway, "viewer")
    assert (await schedule(client, viewer, view["id"])).status_code == 403
    scheduled = await schedule(client, organiser, view["id"])
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["status"] == "scheduled"
    assert await count(gateway, reminders) == 1
    assert (await schedule(client, organiser, view["id"])).status_code == 409  # once
    await gateway.expander.expand_all()
    assert await count(gateway, select(func.count()).where(OutboundMessage.kind == "notice")) == 1


async def test_scheduling_takes_a_time_or_the_drafts_or_now(
    client: httpx.AsyncClient, organiser: Headers, make_meeting: MakeMeeting, draft: Draft
) -> None:
    planned = utcnow() + timedelta(hours=3)
    later = utcnow() + timedelta(hours=5)
    first = await draft(send_at=planned.isoformat())
    assert datetime.fromisoformat(first["send_at"]) == planned
    assert (
        datetime.fromisoformat((await schedule(client, organiser, first["id"])).json()["send_at"]) == planned
    )
    second = await draft(send_at=planned.isoformat())
    moved = (await schedule(client, organiser, second["id"], send_at=later.isoformat())).json()
    assert datetime.fromisoformat(moved["send_at"]) == later
    third = await draft()
    now = datetime.fromisoformat((await schedule(client, organiser, third["id"])).json()["send_at"])
    assert abs(now - utcnow()) < timedelta(minutes=1)

    meeting_id = await make_meeting(starts_at=(utcnow() + timedelta(days=1)).isoformat())
    notice = await draft(kind="notice", meeting_id=meeting_id, texts={})
    too_late = await schedule(
        client, organiser, notice["id"], send_at=(utcnow() + timedelta(days=2)).isoformat()
    )
    assert (too_late.status_code, too_late.json()["field"]) == (422, "send_at")
    past = await schedule(client, organiser, notice["id"], send_at="2020-01-01T00:00:00+00:00")
    assert (past.status_code, past.json()["field"]) == (422, "send_at")


async def test_cancelling_a_draft_or_a_notice_with_its_reminder(
    client: httpx.AsyncClient, gateway: Gateway, organiser: Headers, make_meeting: MakeMeeting, draft: Draft
) -> None:
    unsent = await draft()
    cancelled = await client.post(f"/api/v1/broadcasts/{unsent['id']}/cancel", headers=organiser)
    assert cancelled.json()["status"] == "cancelled"
    assert (await schedule(client, organiser, unsent["id"])).status_code == 409

    notice = await draft(kind="notice", meeting_id=await make_meeting(), texts={})
    await schedule(client, organiser, notice["id"])
    await client.post(f"/api/v1/broadcasts/{notice['id']}/cancel", headers=organiser)
    async with gateway.sessionmaker() as db:
        reminder = (
            await db.execute(select(Broadcast).where(Broadcast.parent_id == notice["id"]))
        ).scalar_one()
    assert reminder.status == "cancelled"  # no reminder of a notice that never went


async def test_the_preview_shows_each_languages_sms_parts_cost_and_fallbacks(
    client: httpx.AsyncClient,
    gateway: Gateway,
    make_meeting: MakeMeeting,
    draft: Draft,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await subscribers(
        gateway,
        [
            ("+22376000521", "fr", "Zégoua"),
            ("+22376000522", "fr", "Zégoua"),
            ("+22376000523", "bm", "Zégoua"),
            ("+22376000524", "dyu", "Zégoua"),
            ("+22376000525", "mos", "Zégoua"),
        ],
    )
    # The case users hit: a Dioula title, the agenda in French only.
    meeting_id = await make_meeting(title={"fr": "Forum frontalier", "dyu": "Dancɛ lajɛ"})
    view = await draft(kind="notice", meeting_id=meeting_id, texts={})
    shown = view["dry_run"]
    lines = {line["language"]: line for line in shown["languages"]}
    assert "Forum frontalier" in lines["fr"]["text"]
    assert (lines["fr"]["fallbacks"], lines["fr"]["missing_text"]) == ({}, False)
    assert "Dancè lajè" in lines["dyu"]["text"]  # as sent: GSM-7 spelling
    assert "Sécurité du marché" in lines["dyu"]["text"] or "Securite du marche" in lines["dyu"]["text"]
    assert lines["dyu"]["encoding"] == "GSM-7"
    assert lines["dyu"]["fallbacks"] == {"agenda": "fr"}
    assert lines["dyu"]["missing_text"] is True
    # Bambara has no title and French is not allowed: nothing, and why.
    assert (lines["bm"]["text"], lines["bm"]["missing"], lines["bm"]["parts"]) == (None, ["title"], 0)
    assert lines["fr"]["parts"] == 2 * lines["fr"]["segments"]
    assert shown["sms_parts"] == lines["fr"]["parts"] + lines["dyu"]["parts"]
    assert (shown["recipients"], shown["cost"], shown["currency"]) == (3, "unknown", "XOF")
    assert shown["falls_back_to_french"] == ["dyu"]
    assert shown["gets_nothing"] == ["bm", "mos"]

    monkeypatch.setattr(gateway, "settings", gateway.settings.model_copy(update={"sms_price_per_part": 12.5}))
    priced = (
        await client.get(f"/api/v1/broadcasts/{view['id']}", headers=await token(gateway, "viewer"))
    ).json()
    assert priced["dry_run"]["cost"] == shown["sms_parts"] * 12.5
    assert [line["cost"] for line in priced["dry_run"]["languages"]] == [
        line["parts"] * 12.5 for line in shown["languages"]
    ]


async def test_an_announcement_says_which_language_its_text_falls_back_to(draft: Draft) -> None:
    view = await draft(
        texts={"fr": "Route fermée demain.", "bm": "Sira datugura sini."}, french_fallback=True
    )
    lines = {line["language"]: line for line in view["dry_run"]["languages"]}
    assert lines["dyu"]["fallbacks"] == {"text": "bm"}
    assert lines["mos"]["fallbacks"] == {"text": "fr"}
    assert view["dry_run"]["falls_back_to_french"] == ["mos"]


async def test_the_same_idempotency_key_gives_the_same_draft(
    client: httpx.AsyncClient, gateway: Gateway, organiser: Headers, draft: Draft
) -> None:
    keyed = {**organiser, "Idempotency-Key": "notice-zegoua-1"}
    first = await draft(headers=keyed)
    again = await client.post(
        "/api/v1/broadcasts",
        headers=keyed,
        # The same request, spaced and ordered otherwise.
        json={"texts": {"fr": "Route fermée demain."}, "areas": ["Zégoua"], "kind": "announcement"},
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first["id"]
    assert await count(gateway, select(func.count()).select_from(Broadcast)) == 1

    changed = await client.post(
        "/api/v1/broadcasts",
        headers=keyed,
        json={"kind": "announcement", "areas": ["Zégoua"], "texts": {"fr": "Autre."}},
    )
    assert (changed.status_code, changed.json()["field"]) == (422, "Idempotency-Key")
    # Keys belong to a token; and without a key, each request is a new draft.
    other = await draft(headers={**await token(gateway, "organiser"), "Idempotency-Key": "notice-zegoua-1"})
    assert other["id"] != first["id"]
    await draft()
    await draft()
    assert await count(gateway, select(func.count()).select_from(Broadcast)) == 4
    bad = await client.post(
        "/api/v1/broadcasts", headers={**organiser, "Idempotency-Key": "x" * 129}, json={}
    )
    assert bad.status_code == 422


async def test_requests_racing_with_one_key_make_one_draft(
    client: httpx.AsyncClient, gateway: Gateway, organiser: Headers
) -> None:
    body = {"kind": "announcement", "areas": ["Zégoua"], "texts": {"fr": "Route fermée demain."}}
    keyed = {**organiser, "Idempotency-Key": "double-click"}
    answers = await asyncio.gather(
        *(client.post("/api/v1/broadcasts", headers=keyed, json=body) for _ in range(4))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert await count(gateway, select(func.count()).select_from(Broadcast)) == 1


async def test_listing_broadcasts_filtered_newest_first_by_pages(
    client: httpx.AsyncClient,
    gateway: Gateway,
    organiser: Headers,
    make_meeting: MakeMeeting,
    draft: Draft,
    make_committee: MakeCommittee,
) -> None:
    meeting_id = await make_meeting()
    announcement = await draft(areas=["Niangoloko"])
    notice = await draft(kind="notice", meeting_id=meeting_id, texts={})
    await schedule(client, organiser, notice["id"])
    to_cercle = await draft(areas=["cercle:Kadiolo"])

    async def listed(headers: Headers = organiser, **params: Any) -> list[dict[str, Any]]:
        response = await client.get("/api/v1/broadcasts", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return list(response.json())

    everything = await listed()
    reminder = next(b for b in everything if b["kind"] == "reminder")
    assert [b["id"] for b in everything] == [
        to_cercle["id"],
        reminder["id"],
        notice["id"],
        announcement["id"],
    ]
    assert reminder["areas"] == ["Zégoua"]  # its notice's
    assert [b["id"] for b in await listed(status="draft")] == [to_cercle["id"], announcement["id"]]
    assert [b["id"] for b in await listed(kind="notice")] == [notice["id"]]
    assert {b["id"] for b in await listed(meeting_id=meeting_id)} == {notice["id"], reminder["id"]}
    assert [b["id"] for b in await listed(limit=2, offset=1)] == [reminder["id"], notice["id"]]
    assert (await client.get("/api/v1/broadcasts?status=lost", headers=organiser)).status_code == 422

    # A committee of Zégoua sees what goes to Zégoua, directly or through its cercle.
    await make_committee("Comité Zégoua", ["Zégoua"], [])
    zegoua = await token(gateway, "committee", "Comité Zégoua")
    assert [b["id"] for b in await listed(zegoua)] == [to_cercle["id"], reminder["id"], notice["id"]]
    assert (await client.get(f"/api/v1/broadcasts/{reminder['id']}", headers=zegoua)).status_code == 200


async def test_a_meeting_is_edited_until_its_notice_goes_out(
    client: httpx.AsyncClient,
    gateway: Gateway,
    organiser: Headers,
    make_meeting: MakeMeeting,
    draft: Draft,
) -> None:
    await subscribers(gateway, [("+22376000531", "fr", "Zégoua")])
    meeting_id = await make_meeting()
    notice = await draft(kind="notice", meeting_id=meeting_id, texts={})
    await schedule(client, organiser, notice["id"])
    url = f"/api/v1/meetings/{meeting_id}"
    new_start = (utcnow() + timedelta(days=6)).replace(microsecond=0)
    edited = await client.patch(
        url,
        headers=organiser,
        json={
            "title": {"fr": "Forum frontalier (reporté)"},
            "place": "École de Zégoua",
            "agenda": {},
            "starts_at": new_start.isoformat(),
        },
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["title"], body["place"], body["agenda"]) == (
        {"fr": "Forum frontalier (reporté)"},
        "École de Zégoua",
        {},
    )
    async with gateway.sessionmaker() as db:
        reminder = (await db.execute(select(Broadcast).where(Broadcast.kind == "reminder"))).scalar_one()
        audit = list(
            (await db.execute(select(AuditEvent).where(AuditEvent.action == "meetings.update"))).scalars()
        )
    assert reminder.send_at == new_start - timedelta(days=1)  # the reminder follows the meeting
    assert [event.detail for event in audit] == [f"meeting {meeting_id}: title, agenda, place, starts_at"]
    preview = (await client.get(f"/api/v1/broadcasts/{notice['id']}", headers=organiser)).json()
    assert "reporté" in preview["dry_run"]["languages"][0]["text"]

    for bad, field in (({"timezone": "Mars/Olympus"}, "timezone"), ({"area": "Atlantis"}, "areas")):
        refused = await client.patch(url, headers=organiser, json=bad)
        assert (refused.status_code, refused.json()["field"]) == (422, field)
    assert (await client.patch(url, headers=organiser, json={"start_at": "tomorrow"})).status_code == 422
    assert (await client.patch(url, headers=await token(gateway, "viewer"), json={})).status_code == 403
    assert (await client.patch("/api/v1/meetings/999", headers=organiser, json={})).status_code == 404

    await gateway.expander.expand_all()  # the notice goes out: people now hold its text
    refused = await client.patch(url, headers=organiser, json={"place": "Ailleurs"})
    assert refused.status_code == 409
    assert (await client.delete(url, headers=organiser)).status_code == 409
    async with gateway.sessionmaker() as db:
        meeting = await db.get(Meeting, meeting_id)
    assert meeting is not None
    assert meeting.place == "École de Zégoua"


async def test_deleting_a_meeting_deletes_its_unsent_broadcasts(
    client: httpx.AsyncClient, gateway: Gateway, organiser: Headers, make_meeting: MakeMeeting, draft: Draft
) -> None:
    meeting_id = await make_meeting()
    kept = await make_meeting()
    scheduled = await draft(kind="notice", meeting_id=meeting_id, texts={})
    await schedule(client, organiser, scheduled["id"])
    await draft(kind="notice", meeting_id=meeting_id, texts={})
    other = await draft(kind="notice", meeting_id=kept, texts={})
    assert (
        await client.delete(f"/api/v1/meetings/{meeting_id}", headers=await token(gateway, "viewer"))
    ).status_code == 403
    deleted = await client.delete(f"/api/v1/meetings/{meeting_id}", headers=organiser)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["broadcasts_deleted"] == 3  # two notices and a reminder
    async with gateway.sessionmaker() as db:
        left = list((await db.execute(select(Broadcast.id))).scalars())
        audit = list(
            (
                await db.execute(select(AuditEvent.detail).where(AuditEvent.action == "meetings.delete"))
            ).scalars()
        )
    assert left == [other["id"]]
    assert audit == [f"meeting {meeting_id} with 3 broadcast(s)"]
    assert [m["id"] for m in (await client.get("/api/v1/meetings", headers=organiser)).json()] == [kept]
    assert (await client.delete(f"/api/v1/meetings/{meeting_id}", headers=organiser)).status_code == 404


async def test_a_naive_start_is_read_in_the_meetings_time_zone(
    client: httpx.AsyncClient, organiser: Headers
) -> None:
    day = (utcnow() + timedelta(days=10)).date()
    body = {"title": {"fr": "Forum"}, "place": "Mairie", "timezone": "Africa/Lagos"}  # UTC+1
    naive = await client.post(
        "/api/v1/meetings", headers=organiser, json={**body, "starts_at": f"{day}T09:00:00"}
    )
    assert naive.status_code == 201, naive.text
    assert datetime.fromisoformat(naive.json()["starts_at"]) == datetime(
        day.year, day.month, day.day, 8, tzinfo=UTC
    )
    aware = await client.post(
        "/api/v1/meetings", headers=organiser, json={**body, "starts_at": f"{day}T09:00:00+00:00"}
    )
    assert datetime.fromisoformat(aware.json()["starts_at"]) == datetime(
        day.year, day.month, day.day, 9, tzinfo=UTC
    )


async def test_a_broadcast_whose_meeting_is_broken_can_be_read_and_cancelled(
    client: httpx.AsyncClient, gateway: Gateway, organiser: Headers, make_meeting: MakeMeeting, draft: Draft
) -> None:
    await subscribers(gateway, [("+22376000541", "fr", "Zégoua")])
    meeting_id = await make_meeting()
    scheduled = await draft(kind="notice", meeting_id=meeting_id, texts={})
    await schedule(client, organiser, scheduled["id"])
    drafted = await draft(kind="notice", meeting_id=meeting_id, texts={})
    # Stored before time zones were checked.
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Meeting).where(Meeting.id == meeting_id).values(timezone="Mars/Olympus"))

    seen = await client.get(f"/api/v1/broadcasts/{scheduled['id']}", headers=organiser)
    assert seen.status_code == 200, seen.text
    assert "Mars/Olympus" in seen.json()["dry_run"]["problem"]
    assert seen.json()["dry_run"]["recipients"] == 0
    refused = await schedule(client, organiser, drafted["id"])
    assert refused.status_code == 409
    assert "Mars/Olympus" in refused.text
    cancelled = await client.post(f"/api/v1/broadcasts/{scheduled['id']}/cancel", headers=organiser)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    listed = await client.get("/api/v1/broadcasts", headers=organiser)
    assert listed.status_code == 200
    # The organiser mends the meeting; the draft can go.
    mended = await client.patch(
        f"/api/v1/meetings/{meeting_id}", headers=organiser, json={"timezone": "Africa/Bamako"}
    )
    assert mended.status_code == 200
    assert (await schedule(client, organiser, drafted["id"])).status_code == 200


async def test_a_broadcast_the_expander_failed_shows_why(
    client: httpx.AsyncClient, gateway: Gateway, organiser: Headers, make_meeting: MakeMeeting, draft: Draft
) -> None:
    meeting_id = await make_meeting()
    notice = await draft(kind="notice", meeting_id=meeting_id, texts={})
    await schedule(client, organiser, notice["id"])
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Meeting).where(Meeting.id == meeting_id).values(timezone="Mars/Olympus"))
    await gateway.expander.expand_all()
    view = (await client.get(f"/api/v1/broadcasts/{notice['id']}", headers=organiser)).json()
    assert view["status"] == "failed"
    assert "Mars/Olympus" in view["failure_reason"]
    assert (
        await client.post(f"/api/v1/broadcasts/{notice['id']}/cancel", headers=organiser)
    ).status_code == 409
    failed = await client.get("/api/v1/broadcasts", headers=organiser, params={"status": "failed"})
    assert [b["id"] for b in failed.json()] == [notice["id"]]


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/meetings", {"title": {}, "place": "X", "starts_at": "2099-01-01T09:00:00+00:00"}, "title"),
        (
            "/api/v1/meetings",
            {"title": {"fr": "X"}, "place": "X", "starts_at": "2000-01-01T09:00:00+00:00"},
            "starts_at",
        ),
        (
            "/api/v1/meetings",
            {"title": {"fr": "X"}, "place": "", "starts_at": "2099-01-01T09:00:00+00:00"},
            "place",
        ),
        (
            "/api/v1/meetings",
            {"title": {"en": "X"}, "place": "X", "starts_at": "2099-01-01T09:00:00+00:00"},
            "title",
        ),
        (
            "/api/v1/meetings",
            {
                "title": {"fr": "X"},
                "place": "X",
                "starts_at": "2099-01-01T09:00:00+00:00",
                "area": "Atlantis",
            },
            "areas",
        ),
        *(
            (
                "/api/v1/meetings",
                {"title": {"fr": "X"}, "place": "X", "starts_at": "2099-01-01T09:00:00", "timezone": zone},
                "timezone",
            )
            # Not a zone; a file of the zone directory that names no place; a zone misspelt.
            for zone in ("Mars/Olympus", "localtime", "africa/bamako")
        ),
        ("/api/v1/broadcasts", {"kind": "announcement", "areas": ["Zégoua"], "texts": {"fr": ""}}, "texts"),
        (
            "/api/v1/broadcasts",
            {"kind": "announcement", "areas": ["Atlantis"], "texts": {"fr": "Bonjour"}},
            "areas",
        ),
        ("/api/v1/broadcasts", {"kind": "notice", "areas": ["Zégoua"]}, "meeting_id"),
        ("/api/v1/broadcasts", {"kind": "notice", "areas": ["Zégoua"], "meeting_id": 999}, "meeting_id"),
        (
            "/api/v1/broadcasts",
            {"kind": "announcement", "areas": ["Zégoua"], "texts": {"fr": "x" * 1001}},
            "texts",
        ),
        (
            "/api/v1/broadcasts",
            {
                "kind": "announcement",
                "areas": ["Zégoua"],
                "texts": {"fr": "Hi"},
                "send_at": "2000-01-01T00:00:00+00:00",
            },
            "send_at",
        ),
        *(
            (
                "/api/v1/broadcasts",
                {"kind": "announcement", "areas": ["Zégoua"], "texts": {"fr": "Hi"}, "languages": languages},
                "languages",
            )
            # A code that is not one of the four, a name instead of a code, not a list.
            for languages in (["mos", "en"], ["Mooré"], "mos", [None])
        ),
    ],
)
async def test_invalid_input_names_the_field(
    url: str, payload: dict[str, object], field: str, client: httpx.AsyncClient, organiser: Headers
) -> None:
    response = await client.post(url, headers=organiser, json=payload)
    assert response.status_code == 422, response.text
    assert field in response.text


async def test_a_broadcast_limited_to_some_languages(
    client: httpx.AsyncClient, gateway: Gateway, organiser: Headers, draft: Draft
) -> None:
    await subscribers(
        gateway,
        [
            ("+22376009201", "fr", "Zégoua"),
            ("+22376009202", "bm", "Zégoua"),
            ("+22376009203", "mos", "Zégoua"),
        ],
    )
    everyone = await draft()  # without the field: every language, as before
    assert everyone["languages"] == []
    assert {line["language"]: line["recipients"] for line in everyone["dry_run"]["languages"]} == {
        "fr": 1,
        "bm": 1,
        "dyu": 0,
        "mos": 1,
    }

    texts = {"fr": "Route fermée demain.", "mos": "Sore pagbo beoogo."}
    limited = await draft(texts=texts, languages=["mos", "bm", "mos"])
    assert limited["languages"] == ["bm", "mos"]  # in the languages' order, each once
    dry_run = limited["dry_run"]
    assert [line["language"] for line in dry_run["languages"]] == ["bm", "mos"]
    assert dry_run["recipients"] == 1  # the Mooré reader; Bambara has no text and no French fallback
    assert dry_run["gets_nothing"] == ["bm"]
    shown = await client.get(f"/api/v1/broadcasts/{limited['id']}", headers=organiser)
    assert shown.json()["languages"] == ["bm", "mos"]
    listed = await client.get("/api/v1/broadcasts", headers=organiser)
    assert {b["id"]: b["languages"] for b in listed.json()} == {
        everyone["id"]: [],
        limited["id"]: ["bm", "mos"],
    }


async def test_an_idempotency_key_replays_whether_no_languages_are_sent_or_an_empty_list(
    client: httpx.AsyncClient, organiser: Headers, draft: Draft
) -> None:
    # A client retrying a request sent before the field existed gets its draft, not a 422.
    keyed = {**organiser, "Idempotency-Key": "languages-1"}
    first = await draft(headers=keyed)
    again = await client.post(
        "/api/v1/broadcasts",
        headers=keyed,
        json={
            "kind": "announcement",
            "areas": ["Zégoua"],
            "texts": {"fr": "Route fermée demain."},
            "languages": [],
        },
    )
    assert (again.status_code, again.json()["id"]) == (201, first["id"])
    other = await client.post(
        "/api/v1/broadcasts",
        headers=keyed,
        json={
            "kind": "announcement",
            "areas": ["Zégoua"],
            "texts": {"fr": "Route fermée demain."},
            "languages": ["mos"],
        },
    )
    assert (other.status_code, other.json()["field"]) == (422, "Idempotency-Key")
