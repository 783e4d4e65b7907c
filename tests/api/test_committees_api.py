"""/api/v1/committees: tokens and roles, validation that names the field, masked numbers."""

from __future__ import annotations

import httpx
import pytest

from gateway.accounts.tokens import create_token
from gateway.committees.service import committee_by_name
from gateway.wiring import Gateway

URL = "/api/v1/committees"


async def token(gateway: Gateway, role: str, committee: str | None = None) -> dict[str, str]:
    async with gateway.sessionmaker() as db, db.begin():
        committee_id = (await committee_by_name(db, committee)).id if committee else None
        value = await create_token(db, f"test {role}", role, committee_id)
    return {"Authorization": f"Bearer {value}"}


async def test_organiser_creates_and_others_read(client: httpx.AsyncClient, gateway: Gateway) -> None:
    organiser = await token(gateway, "organiser")
    created = await client.post(
        URL,
        headers=organiser,
        json={"name": "Comité Zégoua", "areas": ["Zégoua", "cercle:Kadiolo"], "schedule": "daily 08:00"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert sorted(a["name"] for a in body["areas"]) == ["Kadiolo", "Zégoua"]
    member = await client.post(
        f"{URL}/{body['id']}/members",
        headers=organiser,
        json={"name": "Maire", "phone": "+22376100001", "language": "bm", "role": "maire"},
    )
    assert member.status_code == 201, member.text
    assert member.json()["phone"] == "+223******01"

    await client.post(URL, headers=organiser, json={"name": "Comité Banfora", "areas": ["Banfora"]})
    viewer = await token(gateway, "viewer")
    listed = await client.get(URL, headers=viewer)
    assert [c["name"] for c in listed.json()] == ["Comité Banfora", "Comité Zégoua"]
    assert "22376100001" not in listed.text

    own = await token(gateway, "committee", "Comité Banfora")
    assert [c["name"] for c in (await client.get(URL, headers=own)).json()] == ["Comité Banfora"]
    assert (await client.get(f"{URL}/{body['id']}", headers=own)).status_code == 404
    assert (await client.post(URL, headers=own, json={"name": "X", "areas": ["Ouo"]})).status_code == 403
    assert (await client.post(URL, headers=viewer, json={"name": "X", "areas": ["Ouo"]})).status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "", "areas": ["Zégoua"]}, "name"),
        ({"name": "X", "areas": []}, "areas"),
        ({"name": "X", "areas": ["Atlantis"]}, "areas"),
        ({"name": "X", "areas": ["Kourouma"]}, "areas"),
        ({"name": "X", "areas": ["Zégoua"], "schedule": "hourly"}, "schedule"),
        ({"name": "X", "areas": ["Zégoua"], "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "X" * 200, "areas": ["Zégoua"]}, "name"),
        ({"name": "\x00", "areas": ["Zégoua"]}, "name"),
    ],
)
async def test_invalid_input_is_422_naming_the_field(
    payload: dict[str, object], field: str, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.post(URL, headers=await token(gateway, "organiser"), json=payload)
    assert response.status_code == 422
    assert field in response.text


async def test_bad_member_and_unknown_committee(client: httpx.AsyncClient, gateway: Gateway) -> None:
    organiser = await token(gateway, "organiser")
    committee = (await client.post(URL, headers=organiser, json={"name": "C", "areas": ["Ouo"]})).json()
    bad_phone = await client.post(
        f"{URL}/{committee['id']}/members", headers=organiser, json={"name": "M", "phone": "abc"}
    )
    assert (bad_phone.status_code, bad_phone.json()["field"]) == (422, "phone")
    bad_language = await client.post(
        f"{URL}/{committee['id']}/members",
        headers=organiser,
        json={"name": "M", "phone": "+22670000001", "language": "en"},
    )
    assert bad_language.status_code == 422
    assert "language" in bad_language.text
    missing = await client.post(
        f"{URL}/9999/members", headers=organiser, json={"name": "M", "phone": "+22670000001"}
    )
    assert missing.status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic abc"])
async def test_no_valid_token_is_401(header: str | None, client: httpx.AsyncClient) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.get(URL, headers=headers)
    assert response.status_code == 401


async def test_revoked_token_is_refused(client: httpx.AsyncClient, gateway: Gateway) -> None:
    from sqlalchemy import update

    from gateway.accounts.models import ApiToken
    from gateway.db.base import utcnow

    viewer = await token(gateway, "viewer")
    assert (await client.get(URL, headers=viewer)).status_code == 200
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(ApiToken).values(revoked_at=utcnow()))
    assert (await client.get(URL, headers=viewer)).status_code == 401
