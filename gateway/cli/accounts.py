from __future__ import annotations

import typer

from gateway.cli.common import database, err, run, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Console accounts for people (API tokens are `gateway token`).")


@app.command("invite")
def invite(
    name: str = typer.Option(..., help="Who the invitation is for, e.g. 'Awa Traoré'."),
    role: str = typer.Option(
        ..., help="organiser (everything), committee (its committee's areas), viewer (reads only)."
    ),
    committee: int = typer.Option(None, help="With --role committee: the committee's id."),
) -> None:
    """Print a one-time link that lets a person choose a login and password (only a keyed digest of
    it is stored). How the first organiser gets in; later organisers invite from the console."""
    from datetime import timedelta

    from gateway.accounts.invitations import invite as make_invitation
    from gateway.accounts.people import check_role
    from gateway.accounts.secret_tokens import TokenKeys
    from gateway.audit.service import record
    from gateway.committees.models import Committee
    from gateway.db.base import utcnow

    try:
        check_role(role, committee)
    except ValueError as exc:
        err(str(exc))
        raise typer.Exit(2) from None
    settings = settings_or_exit()
    keys = TokenKeys(settings.require_secret_key())
    ttl = timedelta(seconds=settings.console_invitation_ttl_s)

    async def _invite() -> str:
        try:
            async with database(settings) as sessions, sessions() as db, db.begin():
                if committee is not None and await db.get(Committee, committee) is None:
                    raise ValueError(f"no committee with id {committee} (gateway committees list)")
                token = await make_invitation(
                    db, keys, name=name, role=role, committee_id=committee, now=utcnow(), ttl=ttl
                )
                # Who invited is the machine's operator; the link itself is never recorded.
                record(db, actor="cli", role="organiser", action="console.invite", detail=f"{role} {name}")
        except ValueError as exc:
            err(str(exc))
            raise typer.Exit(2) from None
        return token

    token = run(_invite)
    print(f"{settings.console_url}/invitation/{token}")
    hours = settings.console_invitation_ttl_s // 3600
    err(f"invitation for {name!r} ({role}): send this link to them alone; it works once, for {hours} h")


@app.command("list")
def list_() -> None:
    """The accounts: id, name, login (masked), role, state, last sign-in. Never a password or hash."""
    from gateway.accounts.admin import list_accounts

    settings = settings_or_exit()

    async def _list() -> list[str]:
        async with database(settings) as sessions, sessions() as db:
            lines = await list_accounts(db)
        out = []
        for a in lines:
            state = "active" if a.active else "disabled"
            if a.locked_until is not None:
                state += f", locked until {a.locked_until:%Y-%m-%d %H:%M} UTC"
            role = f"committee {a.committee_id}" if a.role == "committee" else a.role
            seen = f"{a.last_signin_at:%Y-%m-%d %H:%M}" if a.last_signin_at else "never"
            out.append(f"{a.id}\t{a.name}\t{a.login}\t{role}\t{state}\tlast sign-in {seen}")
        return out

    for line in run(_list):
        print(line)


@app.command("disable")
def disable(account: int = typer.Argument(..., help="The account's id (gateway accounts list).")) -> None:
    """Stop an account signing in; its open sessions end at once."""
    _change(account, "disable")


@app.command("enable")
def enable(account: int = typer.Argument(..., help="The account's id (gateway accounts list).")) -> None:
    """Let a disabled account sign in again."""
    _change(account, "enable")


@app.command("unlock")
def unlock(account: int = typer.Argument(..., help="The account's id (gateway accounts list).")) -> None:
    """End a lockout after repeated wrong passwords before it runs out by itself."""
    _change(account, "unlock")


def _change(account: int, what: str) -> None:
    from gateway.accounts import admin
    from gateway.audit.service import record

    settings = settings_or_exit()

    async def _do() -> str:
        try:
            async with database(settings) as sessions, sessions() as db, db.begin():
                if what == "unlock":
                    user = await admin.unlock(db, account)
                else:
                    user = await admin.set_active(db, account, what == "enable")
                record(db, actor="cli", role="organiser", action=f"console.{what}", detail=f"#{user.id}")
                return user.name
        except ValueError as exc:
            err(str(exc))
            raise typer.Exit(2) from None

    name = run(_do)
    done = {"disable": "disabled", "enable": "enabled", "unlock": "unlocked"}[what]
    err(f"account #{account} ({name}): {done}")
