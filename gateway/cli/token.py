from __future__ import annotations

import typer

from gateway.cli.common import database, err, run, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Admin API tokens.")


@app.command("create")
def create(
    role: str = typer.Option(
        ..., help="organiser (reads and changes), viewer (reads), committee (its areas)."
    ),
    name: str = typer.Option(..., help="Who the token is for, e.g. 'Secrétariat du forum'."),
    committee: str = typer.Option(None, help="With --role committee: the committee's name."),
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from gateway.accounts.tokens import create_token
    from gateway.committees.service import CommitteeError, committee_by_name

    settings = settings_or_exit(secret=False)

    async def _create() -> None:
        try:
            async with database(settings) as sessions, sessions() as db, db.begin():
                committee_id = (await committee_by_name(db, committee)).id if committee else None
                token = await create_token(db, name, role, committee_id)
        except (CommitteeError, ValueError) as exc:
            err(str(exc))
            raise typer.Exit(2) from None
        print(token)
        err(f"{role} token for {name!r}: keep it safe, it is not shown again")

    run(_create)


@app.command("revoke")
def revoke(token_id: int = typer.Argument(..., help="The token's id (gateway token list).")) -> None:
    """Revoke a token at once."""
    from sqlalchemy import update

    from gateway.accounts.models import ApiToken
    from gateway.db.base import utcnow

    settings = settings_or_exit(secret=False)

    async def _revoke() -> None:
        async with database(settings) as sessions, sessions() as db, db.begin():
            result = await db.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        if not getattr(result, "rowcount", 0):
            err(f"no active token with id {token_id}")
            raise typer.Exit(2)
        err(f"token {token_id} revoked")

    run(_revoke)


@app.command("list")
def list_tokens() -> None:
    """Tokens with their role and state (never the tokens themselves)."""
    from sqlalchemy import select

    from gateway.accounts.models import ApiToken

    settings = settings_or_exit(secret=False)

    async def _list() -> None:
        async with database(settings) as sessions, sessions() as db:
            for row in (await db.execute(select(ApiToken).order_by(ApiToken.id))).scalars():
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
                print(f"{row.id:>4} {row.role:<10} {row.name} ({state}, created {row.created_at:%Y-%m-%d})")

    run(_list)
