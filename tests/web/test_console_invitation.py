"""Accepting an invitation in the browser: choose a login and a password, once, in time."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.accounts.invitations import invite
from gateway.accounts.models import User
from gateway.audit.models import AuditEvent
from gateway.wiring import Gateway
from tests.accounts.helpers import PASSWORD, START, Console, console_for, keys


@pytest.fixture
async def console(gateway: Gateway) -> AsyncIterator[Console]:
    async with console_for(gateway) as made:
        yield made


async def _link(gateway: Gateway, name: str = "Fatou Ouédraogo", role: str = "viewer") -> str:
    async with gateway.sessionmaker() as db, db.begin():
        token = await invite(
            db, keys(gateway), name=name, role=role, committee_id=None, now=START, ttl=timedelta(hours=72)
        )
    return f"/invitation/{token}"


async def _accept(
    console: Console, link: str, login: str, password: str, confirm: str | None = None
) -> object:
    token = await console.csrf(link)
    data = {"login": login, "password": password, "confirm": password if confirm is None else confirm}
    return await console.client.post(link, data={**data, "csrf_token": token})


async def test_accepting_signs_the_person_in_and_the_link_then_dies(
    gateway: Gateway, console: Console
) -> None:
    link = await _link(gateway)
    page = await console.client.get(link)
    assert page.status_code == 200
    assert "Bonjour Fatou Ouédraogo" in page.text
    assert "lecteur (consultation seule)" in page.text
    done = await _accept(console, link, "fatou", PASSWORD)
    assert (done.status_code, done.headers["location"]) == (303, "/overview")  # type: ignore[attr-defined]
    assert "Connecté : Fatou Ouédraogo, lecteur" in (await console.client.get("/overview")).text
    async with gateway.sessionmaker() as db:
        actions = [(a.actor, a.action) for a in (await db.execute(select(AuditEvent))).scalars()]
        user = (await db.execute(select(User))).scalar_one()
    assert actions == [(f"Fatou Ouédraogo (#{user.id})", "console.invitation")]
    assert user.password_hash.startswith("$argon2id$")
    async with console_for(gateway) as other:
        again = await other.client.get(link)
        assert again.status_code == 410
        assert "a déjà servi ou il a expiré" in again.text


async def test_an_expired_link_is_refused(gateway: Gateway, console: Console) -> None:
    link = await _link(gateway)
    token = await console.csrf(link)
    console.move(timedelta(hours=72))
    assert (await console.client.get(link)).status_code == 410
    late = await console.client.post(
        link, data={"login": "fatou", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    )
    assert late.status_code == 410
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(User))).first() is None


@pytest.mark.parametrize(
    ("login", "password", "confirm", "words"),
    [
        ("fatou", PASSWORD, PASSWORD + "x", "ne sont pas les mêmes"),
        ("fatou", "court", None, "au moins 10 caractères"),
        ("fatou fatou", PASSWORD, None, "sans espace"),
        ("f" * 100_000, PASSWORD, None, "sans espace, 254 caractères au plus"),
        ("fatou", "p" * 100_000, None, "1024 caractères au plus"),
        ("fatou", "Fatou Ouédraogo", None, "ni votre nom"),
    ],
)
async def test_a_refused_choice_says_why_and_keeps_the_link(
    gateway: Gateway, console: Console, login: str, password: str, confirm: str | None, words: str
) -> None:
    link = await _link(gateway)
    refused = await _accept(console, link, login, password, confirm)
    assert refused.status_code == 200  # type: ignore[attr-defined]
    assert words in refused.text  # type: ignore[attr-defined]
    assert f'value="{password}"' not in refused.text  # type: ignore[attr-defined]
    assert (await _accept(console, link, "fatou", PASSWORD)).status_code == 303  # type: ignore[attr-defined]


async def test_a_taken_login_is_refused(gateway: Gateway, console: Console) -> None:
    first, second = await _link(gateway), await _link(gateway, "Autre Personne")
    await _accept(console, first, "fatou", PASSWORD)
    async with console_for(gateway) as other:
        refused = await _accept(other, second, "FATOU", PASSWORD)
        assert "déjà pris" in refused.text  # type: ignore[attr-defined]


async def test_the_invitation_form_needs_its_token(gateway: Gateway, console: Console) -> None:
    link = await _link(gateway)
    await console.client.get(link)
    refused = await console.client.post(
        link, data={"login": "fatou", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert refused.status_code == 403
    assert (await console.client.get(link)).status_code == 200  # still usable


@pytest.mark.parametrize("token", ["gwi_nothing", "' OR 1=1 --", "gwi_" + "x" * 3000, "%00"])
async def test_made_up_links_open_nothing(console: Console, token: str) -> None:
    page = await console.client.get(f"/invitation/{token}")
    assert page.status_code in (404, 410)
    assert not re.search(r"<input[^>]+password", page.text)
