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
