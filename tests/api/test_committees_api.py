"""/api/v1/committees: tokens and roles, validation that names the field, masked numbers."""

from __future__ import annotations

import httpx
import pytest

from gateway.accounts.tokens import create_token
from gateway.committees.service import committee_by_name
from gateway.wiring import Gateway
from tests.helpers import MakeReport

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


async def _committees(client: httpx.AsyncClient, organiser: dict[str, str]) -> tuple[int, int]:
    zegoua = await client.post(URL, headers=organiser, json={"name": "Comité Zégoua", "areas": ["Zégoua"]})
    banfora = await client.post(URL, headers=organiser, json={"name": "Comité Banfora", "areas": ["Banfora"]})
    return zegoua.json()["id"], banfora.json()["id"]


async def _audit_details(gateway: Gateway, action: str) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from gateway.audit.models import AuditEvent

    async with gateway.sessionmaker() as db:
        rows = await db.execute(
            select(AuditEvent.actor, AuditEvent.detail)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
        return [(actor, detail) for actor, detail in rows]


async def test_an_organiser_renames_a_committee_and_replaces_its_areas(
    client: httpx.AsyncClient, gateway: Gateway, make_report: MakeReport
) -> None:
    organiser = await token(gateway, "organiser")
    zegoua, _ = await _committees(client, organiser)
    ours = await make_report("Zégoua")
    kadiolo = await make_report("Kadiolo")
    own = await token(gateway, "committee", "Comité Zégoua")
    seen = await client.get("/api/v1/reports", headers=own)
    assert [r["reference"] for r in seen.json()] == [ours.reference]

    changed = await client.patch(
        f"{URL}/{zegoua}",
        headers=organiser,
        json={"name": " Comité  Kadiolo ", "areas": ["cercle:Kadiolo", "Banfora"]},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["name"] == "Comité Kadiolo"
    assert sorted(a["name"] for a in body["areas"]) == ["Banfora", "Kadiolo"]
    # Its token now reads the cercle's communes, Zégoua among them, and Kadiolo's report too.
    seen = await client.get("/api/v1/reports", headers=own)
    assert sorted(r["reference"] for r in seen.json()) == sorted([ours.reference, kadiolo.reference])
    only_name = await client.patch(f"{URL}/{zegoua}", headers=organiser, json={"name": "Comité K"})
    assert sorted(a["name"] for a in only_name.json()["areas"]) == ["Banfora", "Kadiolo"]
    only_areas = await client.patch(f"{URL}/{zegoua}", headers=organiser, json={"areas": ["Banfora"]})
    assert only_areas.json()["name"] == "Comité K"
    seen = await client.get("/api/v1/reports", headers=own)
    assert seen.json() == []  # neither Zégoua's report nor Kadiolo's: no longer its communes
    audit = await _audit_details(gateway, "committees.update")
    assert [actor for actor, _ in audit] == ["test organiser"] * 3
    assert audit[0][1].startswith(
        f"committee {zegoua}: name 'Comité Zégoua' -> 'Comité Kadiolo'; areas added "
    )
    unchanged = await client.patch(f"{URL}/{zegoua}", headers=organiser, json={})
    assert unchanged.status_code == 200
    assert len(await _audit_details(gateway, "committees.update")) == 3


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"name": "Comité Banfora"}, 409, "name"),
        ({"name": ""}, 422, "name"),
        ({"name": "   "}, 422, "name"),
        ({"name": "X" * 121}, 422, "name"),
        ({"areas": []}, 422, "areas"),
        ({"areas": ["Atlantis"]}, 422, "areas"),
        ({"areas": ["Kourouma"]}, 422, "areas"),
        ({"areas": "Zégoua"}, 422, "areas"),
        ({"nom": "X"}, 422, "nom"),
        ({"schedule": "daily 08:00"}, 422, "schedule"),  # not changed here: said, not ignored
    ],
)
async def test_a_bad_committee_change_is_precise_and_changes_nothing(
    payload: dict[str, object], status: int, field: str, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    organiser = await token(gateway, "organiser")
    zegoua, _ = await _committees(client, organiser)
    response = await client.patch(f"{URL}/{zegoua}", headers=organiser, json=payload)
    assert response.status_code == status, response.text
    assert field in response.text
    committee = (await client.get(f"{URL}/{zegoua}", headers=organiser)).json()
    assert (committee["name"], [a["name"] for a in committee["areas"]]) == ("Comité Zégoua", ["Zégoua"])


async def test_only_an_organiser_changes_committees_and_members(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    organiser = await token(gateway, "organiser")
    zegoua, _ = await _committees(client, organiser)
    member = await client.post(
        f"{URL}/{zegoua}/members", headers=organiser, json={"name": "Maire", "phone": "+22376100001"}
    )
    for headers in (await token(gateway, "viewer"), await token(gateway, "committee", "Comité Zégoua")):
        renamed = await client.patch(f"{URL}/{zegoua}", headers=headers, json={"name": "Pris"})
        assert renamed.status_code == 403
        moved = await client.patch(
            f"{URL}/{zegoua}/members/{member.json()['id']}", headers=headers, json={"language": "bm"}
        )
        assert moved.status_code == 403
    assert (await client.patch(f"{URL}/{zegoua}", json={"name": "Pris"})).status_code == 401
    assert (await client.patch(f"{URL}/9999", headers=organiser, json={"name": "X"})).status_code == 404
    assert (await client.patch(f"{URL}/0", headers=organiser, json={"name": "X"})).status_code == 422
    committee = (await client.get(f"{URL}/{zegoua}", headers=organiser)).json()
    assert committee["name"] == "Comité Zégoua"
    assert committee["members"][0]["language"] == "fr"


async def test_an_organiser_changes_a_members_language_number_and_wishes(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    organiser = await token(gateway, "organiser")
    zegoua, banfora = await _committees(client, organiser)
    members = f"{URL}/{zegoua}/members"
    mayor = (
        await client.post(members, headers=organiser, json={"name": "Maire", "phone": "+22376100001"})
    ).json()
    await client.post(members, headers=organiser, json={"name": "Adjoint", "phone": "+22376100002"})
    other = (
        await client.post(
            f"{URL}/{banfora}/members", headers=organiser, json={"name": "Maire", "phone": "+22670100003"}
        )
    ).json()
    path = f"{members}/{mayor['id']}"
    changed = await client.patch(
        path, headers=organiser, json={"language": "mos", "phone": "76 10 00 99", "alerts": False}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**mayor, "language": "mos", "phone": "+223******99", "alerts": False}
    assert "76100099" not in changed.text
    audit = await _audit_details(gateway, "committees.member_update")
    assert audit == [
        (
            "test organiser",
            f"committee {zegoua}: member #{mayor['id']}: language fr -> mos, number changed, alerts off",
        )
    ]
    for payload, status, field in (
        ({"phone": "+22376100002"}, 409, "phone"),  # the deputy's
        ({"phone": "abc"}, 422, "phone"),
        ({"phone": "7610"}, 422, "phone"),
        ({"phone": "1" * 33}, 422, "phone"),
        ({"language": "en"}, 422, "language"),
        ({"name": "Autre"}, 422, "name"),  # not changed here: said, not ignored
        ({"alerts": "peut-être"}, 422, "alerts"),
    ):
        refused = await client.patch(path, headers=organiser, json=payload)
        assert refused.status_code == status, (payload, refused.text)
        assert field in refused.text
        assert "76100002" not in refused.text  # the deputy's number is never said back
    # A member of another committee, or none, is not found under this one.
    assert (await client.patch(f"{members}/{other['id']}", headers=organiser, json={})).status_code == 404
    assert (await client.patch(f"{members}/9999", headers=organiser, json={})).status_code == 404
    assert (
        await client.patch(f"{URL}/9999/members/{mayor['id']}", headers=organiser, json={})
    ).status_code == 404
    committee = (await client.get(f"{URL}/{zegoua}", headers=organiser)).json()
    assert [(m["language"], m["phone"]) for m in committee["members"]] == [
        ("mos", "+223******99"),
        ("fr", "+223******02"),
    ]
    assert len(await _audit_details(gateway, "committees.member_update")) == 1
