"""`gateway accounts invite`: the first organiser's way in."""

from __future__ import annotations

from sqlalchemy import select

from gateway.accounts.models import Invitation
from gateway.audit.models import AuditEvent
from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.accounts.helpers import console_for
from tests.cli.runner import invoke_in_thread


async def test_invite_prints_a_link_that_works_once(env: dict[str, str], gateway: Gateway) -> None:
    ran = await invoke_in_thread(
        {**env, "GATEWAY_CONSOLE_URL": "https://console.example.org/"},
        "accounts",
        "invite",
        "--name",
        "Awa Traoré",
        "--role",
        "organiser",
    )
    assert ran.code == 0, ran.err
    link = ran.out.strip()
    assert link.startswith("https://console.example.org/invitation/gwi_")
    assert "works once" in ran.err
    token = link.rsplit("/", 1)[1]
    async with gateway.sessionmaker() as db:
        invitation = (await db.execute(select(Invitation))).scalar_one()
        audit = (await db.execute(select(AuditEvent))).scalar_one()
    assert (invitation.name, invitation.role, invitation.committee_id) == ("Awa Traoré", "organiser", None)
    assert token not in invitation.token_hash
    assert (audit.actor, audit.action) == ("cli", "console.invite")
    assert token not in audit.detail
    async with console_for(gateway) as console:
        console.now = utcnow()
        page = await console.client.get(f"/invitation/{token}")
        assert "Bonjour Awa Traoré" in page.text


async def test_invite_refuses_a_bad_role_or_committee(env: dict[str, str], gateway: Gateway) -> None:
    for args, words in [
        (["--role", "admin"], "unknown role"),
        (["--role", "committee"], "needs --committee"),
        (["--role", "committee", "--committee", "999"], "no committee with id 999"),
        (["--role", "viewer", "--committee", "1"], "only a committee account"),
    ]:
        ran = await invoke_in_thread(env, "accounts", "invite", "--name", "X", *args)
        assert ran.code == 2, args
        assert words in ran.err, ran.err
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(Invitation))).first() is None


async def test_list_shows_accounts_without_their_secrets(env: dict[str, str], gateway: Gateway) -> None:
    from tests.accounts.helpers import make_user

    user = await make_user(gateway)
    ran = await invoke_in_thread(env, "accounts", "list")
    assert ran.code == 0, ran.err
    [line] = ran.out.splitlines()
    assert line.startswith(f"{user.id}\tAwa Traoré\ta***@***\torganiser\tactive\t")
    assert "awa@example.org" not in ran.out
    assert user.password_hash not in ran.out


async def test_disable_signs_out_and_refuses_enable_lets_in_again(
    env: dict[str, str], gateway: Gateway
) -> None:
    from gateway.accounts.models import ConsoleSession, User
    from tests.accounts.helpers import make_user

    user = await make_user(gateway)
    async with console_for(gateway) as console:
        assert (await console.sign_in()).status_code == 303
        ran = await invoke_in_thread(env, "accounts", "disable", str(user.id))
        assert ran.code == 0, ran.err
        assert "disabled" in ran.err
        async with gateway.sessionmaker() as db:
            assert (await db.execute(select(ConsoleSession))).first() is None  # signed out at once
            assert (await db.get(User, user.id)).active is False  # type: ignore[union-attr]
        assert (await console.client.get("/overview")).status_code == 303  # to the sign-in page
        assert (await console.sign_in()).status_code != 303  # and no way back in
        assert (await invoke_in_thread(env, "accounts", "enable", str(user.id))).code == 0
        assert (await console.sign_in()).status_code == 303
    async with gateway.sessionmaker() as db:
        actions = [a.action for a in (await db.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars()]
    assert ["console.disable", "console.enable"] == [
        a for a in actions if a.startswith("console.") and "able" in a
    ]


async def test_unlock_ends_a_lockout(env: dict[str, str], gateway: Gateway) -> None:
    from datetime import timedelta

    from gateway.accounts.models import User
    from tests.accounts.helpers import make_user

    user = await make_user(gateway)
    async with gateway.sessionmaker() as db, db.begin():
        locked = await db.get(User, user.id)
        assert locked is not None
        locked.failed_attempts, locked.locked_until = 5, utcnow() + timedelta(minutes=15)
    ran = await invoke_in_thread(env, "accounts", "unlock", str(user.id))
    assert ran.code == 0, ran.err
    async with gateway.sessionmaker() as db:
        after = await db.get(User, user.id)
        assert after is not None
        assert (after.failed_attempts, after.locked_until) == (0, None)


async def test_an_unknown_account_is_refused(env: dict[str, str], gateway: Gateway) -> None:
    for command in ("disable", "enable", "unlock"):
        ran = await invoke_in_thread(env, "accounts", command, "999")
        assert ran.code == 2
        assert "no account with id 999" in ran.err
