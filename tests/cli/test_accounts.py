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
