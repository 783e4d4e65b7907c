"""Console accounts for tests: made through a real invitation, and a console app whose clock the
test moves."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from gateway.accounts.invitations import accept, invite, open_invitation
from gateway.accounts.models import User
from gateway.accounts.passwords import Passwords
from gateway.accounts.secret_tokens import TokenKeys
from gateway.app import create_app
from gateway.web.auth import clock
from gateway.wiring import Gateway

PASSWORD = "correct horse battery"
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def keys(gateway: Gateway) -> TokenKeys:
    return TokenKeys(gateway.settings.require_secret_key())


async def make_user(
    gateway: Gateway,
    login: str = "awa@example.org",
    *,
    name: str = "Awa Traoré",
    role: str = "organiser",
    committee_id: int | None = None,
    password: str = PASSWORD,
    active: bool = True,
    now: datetime = START,
) -> User:
    async with gateway.sessionmaker() as db, db.begin():
        token = await invite(
            db, keys(gateway), name=name, role=role, committee_id=committee_id, now=now, ttl=timedelta(days=1)
        )
        invitation = await open_invitation(db, keys(gateway), token, now)
        assert invitation is not None
        user = await accept(db, Passwords(), invitation, login=login, password=password, now=now)
        user.active = active
    return user


@dataclass
class Console:
    """An httpx client on the app, and the time the console believes it is."""

    client: httpx.AsyncClient
    app: FastAPI
    now: datetime = START
    pages: list[str] = field(default_factory=list)

    def move(self, delta: timedelta) -> None:
        self.now += delta

    async def csrf(self, path: str = "/signin") -> str:
        page = await self.client.get(path)
        found = _CSRF.search(page.text)
        assert found, page.text
        return found.group(1)

    async def sign_in(self, login: str = "awa@example.org", password: str = PASSWORD) -> httpx.Response:
        token = await self.csrf("/signin")
        return await self.client.post(
            "/signin", data={"login": login, "password": password, "csrf_token": token}
        )


@asynccontextmanager
async def console_for(gateway: Gateway, base_url: str = "http://gateway.test") -> AsyncIterator[Console]:
    app = create_app(gateway.settings, gateway)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        console = Console(client, app)

        async def now() -> datetime:
            return console.now

        app.dependency_overrides[clock] = now
        yield console


class People:
    """One signed-in console per person, each with its own cookies, all closed with `stack`."""

    def __init__(self, gateway: Gateway, stack: AsyncExitStack) -> None:
        self.gateway, self.stack = gateway, stack

    async def console(self, login: str, role: str, committee_id: int | None = None) -> Console:
        await make_user(self.gateway, login, name=login.split("@")[0], role=role, committee_id=committee_id)
        console = await self.stack.enter_async_context(console_for(self.gateway))
        signed = await console.sign_in(login)
        assert signed.status_code == 303, signed.text
        return console
