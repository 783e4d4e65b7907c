from __future__ import annotations

import typer

from gateway.cli.common import database, err, run, settings_or_exit


def purge(
    older_than: str = typer.Option(
        ..., "--older-than", help="e.g. 365d, 52w: erase what is older than that."
    ),
    yes: bool = typer.Option(False, "--yes", help="Do it without asking."),
) -> None:
    """Erase report texts, message bodies and phone links older than the age given; keep the counts."""
    from gateway.db.base import utcnow
    from gateway.retention.purge import parse_age
    from gateway.retention.purge import purge as do_purge

    try:
        cutoff = utcnow() - parse_age(older_than)
    except ValueError as exc:
        err(f"--older-than: {exc}")
        raise typer.Exit(2) from None
    settings = settings_or_exit(secret=False)
    if not yes and not typer.confirm(f"Erase texts and phone links from before {cutoff:%Y-%m-%d %H:%M} UTC?"):
        raise typer.Exit(1)

    async def _purge() -> None:
        async with database(settings) as sessions, sessions() as db, db.begin():
            result = await do_purge(db, cutoff)
        err(
            f"purged: {result.reports} report text(s), {result.inbound} incoming and {result.outbound} outgoing "
            f"SMS, {result.sessions} USSD session(s)"
        )

    run(_purge)
