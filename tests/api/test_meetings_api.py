"""/api/v1/meetings and the console write one audit vocabulary through one service: a meeting made,
changed and deleted with a token is in the log under the token's name (meetings.create, .update,
.delete), each once, as the console's are (tests/web/test_console_meeting_changes.py)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from gateway.audit.models import AuditEvent
from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.api.test_committees_api import token


async def test_a_meeting_made_changed_and_deleted_with_a_token_is_audited(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    organiser = await token(gateway, "organiser")
    body = {
        "title": {"fr": "Forum frontalier"},
        "place": "Mairie de Zégoua",
        "starts_at": (utcnow() + timedelta(days=3)).isoformat(),
    }
    made = await client.post("/api/v1/meetings", headers=organiser, json=body)
    assert made.status_code == 201, made.text
    url = f"/api/v1/meetings/{made.json()['id']}"
    assert (await client.patch(url, headers=organiser, json={"place": "École"})).status_code == 200
    assert (await client.patch(url, headers=organiser, json={"place": "École"})).status_code == 200
    assert (await client.delete(url, headers=organiser)).json()["broadcasts_deleted"] == 0
    assert (await client.patch(url, headers=organiser, json={"place": "Ailleurs"})).status_code == 404
    assert (await client.delete(url, headers=organiser)).status_code == 404
    async with gateway.sessionmaker() as db:
        events = (await db.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars().all()
    meeting = made.json()["id"]
    assert [(e.role, e.action, e.detail) for e in events if e.action.startswith("meetings.")] == [
        ("organiser", "meetings.create", f"meeting {meeting}"),
        ("organiser", "meetings.update", f"meeting {meeting}: place"),
        ("organiser", "meetings.delete", f"meeting {meeting} with 0 broadcast(s)"),
    ]
