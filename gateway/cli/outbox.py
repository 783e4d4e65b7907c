from __future__ import annotations

import json

import typer

from gateway.cli.common import database, err, run, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Outgoing SMS: where each one stands.")


@app.command("list")
def list_messages(
    status: str = typer.Option(None, help="queued, sending, sent, delivered or failed."),
    limit: int = typer.Option(50, min=1),
    as_json: bool = typer.Option(False, "--json", help="JSON lines for programs."),
) -> None:
    """Newest messages first, with status, provider id, cost and failure reason (numbers never shown)."""
    from gateway.outbox.models import STATUSES
    from gateway.outbox.queries import counts_by_status
    from gateway.outbox.queries import list_messages as query

    if status is not None and status not in STATUSES:
        err(f"--status: unknown status {status!r} (known: {', '.join(STATUSES)})")
        raise typer.Exit(2)
    settings = settings_or_exit(secret=False)

    async def _list() -> None:
        async with database(settings) as sessions, sessions() as db:
            rows = await query(db, status, limit)
            counts = await counts_by_status(db)
        for row in rows:
            if as_json:
                record = {
                    k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.__dict__.items()
                }
                print(json.dumps(record, ensure_ascii=False))
            else:
                reason = f" {row.failure_reason}" if row.failure_reason else ""
                print(
                    f"{row.id:>7} {row.created_at:%Y-%m-%d %H:%M} {row.kind:<8} {row.language:<4} "
                    f"{row.status:<9} try {row.attempts} {row.encoding} x{row.segments} "
                    f"{row.provider_message_id or '-'} {row.cost or '-'}{reason}"
                )
        err("outbox: " + ", ".join(f"{name} {count}" for name, count in counts.items()))

    run(_list)


@app.command("resend")
def resend(
    ids: list[int] = typer.Argument(None, help="Message ids; none with --all-failed."),
    all_failed: bool = typer.Option(False, "--all-failed", help="Every failed message."),
) -> None:
    """Put failed messages back in the queue for a new round of attempts."""
    from gateway.outbox.queries import requeue_failed

    if not ids and not all_failed:
        err("name message ids, or --all-failed")
        raise typer.Exit(2)
    settings = settings_or_exit(secret=False)

    async def _resend() -> None:
        async with database(settings) as sessions, sessions() as db, db.begin():
            count = await requeue_failed(db, None if all_failed else ids)
        err(f"requeued {count} failed message(s)")

    run(_resend)
