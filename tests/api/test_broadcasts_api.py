"""Organiser API: meeting → notice with dry run → expansion → RSVP → counts; controls; validation."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.api.test_committees_api import token
from tests.broadcasts.test_broadcasts import subscribers, text


async def test_meeting_notice_end_to_end(client: httpx.AsyncClient, gateway: Gateway) -> None:
    organiser = await token(gateway, "organiser")
    await subscribers(
        gateway,
        [
            ("+22376000501", "fr", "Zégoua"),
            ("+22376000502", "bm", "Zégoua"),
            ("+22670000503", "mos", "Niangoloko"),
            ("+22670000504", "dyu", "Niangoloko"),
        ],
    )
    meeting = await client.post(
        "/api/v1/meetings",
        headers=organiser,
        json={
            "title": {"fr": "Forum frontalier", "bm": "Dancɛ lajɛ"},
            "place": "Mairie de Zégoua",
            "area": "Zégoua",
            "starts_at": (utcnow() + timedelta(days=3)).isoformat(),
            "agenda": {"fr": "Sécurité du marché."},
        },
    )
    assert meeting.status_code == 201, meeting.text
    created = await client.post(
        "/api/v1/broadcasts",
        headers=organiser,
        json={"kind": "notice", "areas": ["Zégoua", "Niangoloko"], "meeting_id": meeting.json()["id"]},
    )
    assert created.status_code == 201, created.text
    view = created.json()
    languages = {line["language"]: line for line in view["dry_run"]["languages"]}
    assert view["dry_run"]["recipients"] == 2
    assert languages["mos"]["missing_text"] is True
    assert languages["mos"]["sent_as"] == "-"

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
    assert totals == {"recipients": 2, "queued": 2, "yes": 1, "no": 1, "no_answer": 0}

    subs = (await client.get("/api/v1/subscriptions", headers=organiser)).json()
    assert {row["area"]: row["subscribers"] for row in subs} == {"Niangoloko": 2, "Zégoua": 2}
    listed = (await client.get("/api/v1/contacts", headers=organiser)).json()
    assert all("*" in c["phone"] for c in listed)
    assert (await client.get("/api/v1/contacts", headers=await token(gateway, "viewer"))).status_code == 403


async def test_pause_resume_cancel(client: httpx.AsyncClient, gateway: Gateway) -> None:
    organiser = await token(gateway, "organiser")
    created = await client.post(
        "/api/v1/broadcasts",
        headers=organiser,
        json={
            "kind": "announcement",
            "areas": ["Kadiolo, Kadiolo"],
            "texts": {"fr": "Route fermée demain."},
            "send_at": (utcnow() + timedelta(hours=2)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    broadcast_id = created.json()["id"]
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
    ],
)
async def test_invalid_input_names_the_field(
    url: str, payload: dict[str, object], field: str, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.post(url, headers=await token(gateway, "organiser"), json=payload)
    assert response.status_code == 422, response.text
    assert field in response.text
