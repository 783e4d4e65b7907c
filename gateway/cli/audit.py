from __future__ import annotations

import json

import typer

from gateway.cli.common import database, run, settings_or_exit


def audit(
    limit: int = typer.Option(100, min=1, help="The newest entries first."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines for programs."),
) -> None:
    """Who read reports or exported them through the admin API, when, and what they asked for."""
    from sqlalchemy import select

    from gateway.audit.models import AuditEvent

    settings = settings_or_exit(secret=False)

    async def _audit() -> None:
        async with database(settings) as sessions, sessions() as db:
            rows = (
                await db.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit))
            ).scalars()
            for row in rows:
                if as_json:
                    print(
                        json.dumps(
                            {
                                "at": row.at.isoformat(),
                                "actor": row.actor,
                                "role": row.role,
                                "action": row.action,
                                "detail": row.detail,
                                "rows": row.rows,
                            },
                            ensure_ascii=False,
                        )
                    )
                else:
                    print(
                        f"{row.at:%Y-%m-%d %H:%M:%S} {row.role:<10} {row.actor:<24} {row.action:<15} "
                        f"{row.rows:>6} rows  {row.detail}"
                    )

    run(_audit)
