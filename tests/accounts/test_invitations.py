"""Invitations: one use, in time, stored only as a keyed digest; the account they make."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.accounts.invitations import accept, invite, open_invitation
from gateway.accounts.models import Invitation, User
from gateway.accounts.passwords import Passwords
from gateway.accounts.people import AccountError
from gateway.wiring import Gateway
from tests.accounts.helpers import PASSWORD, START, keys
from tests.helpers import database_dump


async def _invite(gateway: Gateway, role: str = "viewer", committee_id: int | None = None) -> str:
    async with gateway.sessionmaker() as db, db.begin():
        return await invite(
            db,
            keys(gateway),
            name="  Fatou   Ouédraogo ",
            role=role,
            committee_id=committee_id,
            now=START,
            ttl=timedelta(hours=72),
        )


async def test_the_token_is_kept_only_as_a_keyed_digest(gateway: Gateway) -> None:
    token = await _invite(gateway)
    assert token.startswith("gwi_")
    assert len(token) > 40
    dump = await database_dump(gateway)
    assert not [cell for cell in dump if token in cell[2] or token[4:] in cell[2]]
    async with gateway.sessionmaker() as db:
        row = (await db.execute(select(Invitation))).scalar_one()
    assert row.token_hash == keys(gateway).invitation_digest(token)
    assert row.name == "Fatou Ouédraogo"
    assert row.expires_at == START + timedelta(hours=72)


async def test_an_invitation_works_once(gateway: Gateway) -> None:
    token = await _invite(gateway)
    async with gateway.sessionmaker() as db, db.begin():
        found = await open_invitation(db, keys(gateway), token, START)
        assert found is not None
        user = await accept(db, Passwords(), found, login=" Fatou@Example.ORG ", password=PASSWORD, now=START)
    assert (user.login, user.role, user.name) == ("fatou@example.org", "viewer", "Fatou Ouédraogo")
    async with gateway.sessionmaker() as db, db.begin():
        assert await open_invitation(db, keys(gateway), token, START) is None
        # Even the invitation object held from before cannot be used again.
        with pytest.raises(AccountError, match="unusable"):
            await accept(db, Passwords(), found, login="other", password=PASSWORD, now=START)


async def test_an_invitation_expires(gateway: Gateway) -> None:
    token = await _invite(gateway)
    async with gateway.sessionmaker() as db:
        assert await open_invitation(db, keys(gateway), token, START + timedelta(hours=71)) is not None
        assert await open_invitation(db, keys(gateway), token, START + timedelta(hours=72)) is None


@pytest.mark.parametrize(
    "token", ["", "gwi_", "gwi_" + "A" * 43, "' OR 1=1 --", "gwi_' OR '1'='1", "gwi_" + "x" * 5000]
)
async def test_a_made_up_token_opens_nothing(gateway: Gateway, token: str) -> None:
    await _invite(gateway)
    async with gateway.sessionmaker() as db:
        assert await open_invitation(db, keys(gateway), token, START) is None


async def test_a_committee_invitation_needs_its_committee(gateway: Gateway) -> None:
    with pytest.raises(ValueError, match="committee"):
        await _invite(gateway, role="committee")
    with pytest.raises(ValueError, match="committee"):
        await _invite(gateway, role="viewer", committee_id=1)
    with pytest.raises(ValueError, match="unknown role"):
        await _invite(gateway, role="admin")


@pytest.mark.parametrize(
    ("login", "problem"),
    [
        ("a b", "console.invitation.bad_login"),
        ("x" * 255, "console.invitation.bad_login"),
        ("", "console.invitation.bad_login"),
        ("tab\there", "console.invitation.bad_login"),
    ],
)
async def test_bad_logins_are_refused(gateway: Gateway, login: str, problem: str) -> None:
    token = await _invite(gateway)
    async with gateway.sessionmaker() as db:
        found = await open_invitation(db, keys(gateway), token, START)
        assert found is not None
        with pytest.raises(AccountError) as refused:
            await accept(db, Passwords(), found, login=login, password=PASSWORD, now=START)
    assert refused.value.message_id == problem


async def test_a_login_taken_is_refused_and_the_invitation_stays_usable(gateway: Gateway) -> None:
    first, second = await _invite(gateway), await _invite(gateway)
    async with gateway.sessionmaker() as db, db.begin():
        found = await open_invitation(db, keys(gateway), first, START)
        assert found is not None
        await accept(db, Passwords(), found, login="fatou", password=PASSWORD, now=START)
    with pytest.raises(AccountError, match="login_taken"):
        await _accept_alone(gateway, second, "FATOU")
    async with gateway.sessionmaker() as db:
        assert await open_invitation(db, keys(gateway), second, START) is not None
        assert len((await db.execute(select(User))).all()) == 1


async def _accept_alone(gateway: Gateway, token: str, login: str) -> None:
    """As a request does: in a transaction of its own, rolled back when refused."""
    async with gateway.sessionmaker() as db, db.begin():
        found = await open_invitation(db, keys(gateway), token, START)
        assert found is not None
        await accept(db, Passwords(), found, login=login, password=PASSWORD, now=START)


async def test_control_characters_leave_a_name(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await invite(
            db,
            keys(gateway),
            name="Awa\x00\u202eTraoré\n",
            role="viewer",
            committee_id=None,
            now=START,
            ttl=timedelta(hours=1),
        )
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(Invitation.name))).scalar_one() == "Awa Traoré"
