"""A committee token reads only what concerns its own communes: reports, broadcasts, meetings,
subscriber counts. Another committee's things are, to it, things that do not exist."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.api.test_committees_api import token
from tests.broadcasts.test_broadcasts import subscribers
from tests.helpers import MakeCommittee


async def _meeting(client: httpx.AsyncClient, organiser: dict[str, str], area: str) -> int:
    response = await client.post(
        "/api/v1/meetings",
        headers=organiser,
        json={
            "title": {"fr": f"Forum de {area}"},
            "place": f"Mairie de {area}",
            "area": area,
            "starts_at": (utcnow() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _broadcast(
    client: httpx.AsyncClient, organiser: dict[str, str], areas: list[str]
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/broadcasts",
        headers=organiser,
        json={
            "kind": "announcement",
            "areas": areas,
            "texts": {"fr": "Réunion publique samedi."},
        },
    )
    assert response.status_code == 201, response.text
    scheduled = await client.post(f"/api/v1/broadcasts/{response.json()['id']}/schedule", headers=organiser)
    assert scheduled.status_code == 200, scheduled.text
    return dict(response.json())


async def test_a_committee_token_sees_only_its_own_communes(
    client: httpx.AsyncClient, gateway: Gateway, make_committee: MakeCommittee
) -> None:
    await make_committee("Comité Zégoua", ["Zégoua"], [])
    await make_committee("Comité Niangoloko", ["Niangoloko"], [])
    organiser = await token(gateway, "organiser")
    zegoua = await token(gateway, "committee", "Comité Zégoua")
    await subscribers(
        gateway,
        [
            ("+22376000601", "fr", "Zégoua"),
            ("+22670000602", "fr", "Niangoloko"),
            ("+22670000603", "fr", "Niangoloko"),
        ],
    )
    here = await _meeting(client, organiser, "Zégoua")
    await _meeting(client, organiser, "Niangoloko")
    own = await _broadcast(client, organiser, ["Zégoua"])
    other = await _broadcast(client, organiser, ["Niangoloko"])
    both = await _broadcast(client, organiser, ["Zégoua", "Niangoloko"])
    assert both["dry_run"]["recipients"] == 3

    assert (await client.get(f"/api/v1/broadcasts/{other['id']}", headers=zegoua)).status_code == 404
    assert (await client.get(f"/api/v1/broadcasts/{own['id']}", headers=zegoua)).status_code == 200
    shared = (await client.get(f"/api/v1/broadcasts/{both['id']}", headers=zegoua)).json()
    assert shared["dry_run"]["recipients"] == 1  # Niangoloko's subscribers are not its to count
    await gateway.expander.expand_all()
    shared = (await client.get(f"/api/v1/broadcasts/{both['id']}", headers=zegoua)).json()
    assert [line["area"] for line in shared["stats"]] == ["Zégoua"]
    meetings = (await client.get("/api/v1/meetings", headers=zegoua)).json()
    assert [m["id"] for m in meetings] == [here]
    subscriptions = (await client.get("/api/v1/subscriptions", headers=zegoua)).json()
    assert [row["area"] for row in subscriptions] == ["Zégoua"]

    # An organiser, and a viewer, see everything.
    for everyone in (organiser, await token(gateway, "viewer")):
        assert len((await client.get("/api/v1/meetings", headers=everyone)).json()) == 2
        assert len((await client.get("/api/v1/subscriptions", headers=everyone)).json()) == 2
        assert (await client.get(f"/api/v1/broadcasts/{other['id']}", headers=everyone)).status_code == 200
