from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from gateway.cli.common import database, err, run, settings_or_exit
from gateway.cli.output import Format, destination, write_records, write_table

if TYPE_CHECKING:
    from gateway.outbox.queries import MessageView

app = typer.Typer(no_args_is_help=True, help="Outgoing SMS: where each one stands.")


COLUMNS = (
    "id",
    "created_at",
    "kind",
    "language",
    "status",
    "attempts",
    "encoding",
    "segments",
    "provider",
    "provider_message_id",
    "cost",
    "failure_reason",
    "last_error",
    "sent_at",
    "delivered_at",
    "body",
)
HEADER = ("id", "created (UTC)", "kind", "lang", "status", "try", "parts", "provider id", "cost", "text")


@app.command("list")
def list_messages(
    status: str = typer.Option(None, help="queued, sending, sent, delivered or failed."),
    limit: int = typer.Option(50, min=1, help="At most this many, newest first."),
    fmt: Format = typer.Option(
        Format.table, "--format", help="table for people (text cut to fit); json, jsonl, csv for programs."
    ),
    output: Path = typer.Option(None, "--output", "-o", help="Write here instead of standard output."),
    as_json: bool = typer.Option(False, "--json", hidden=True, help="Same as --format jsonl."),
) -> None:
    """Newest messages first: status, provider id, cost, failure reason and text (numbers never shown)."""
    from gateway.outbox.models import STATUSES
    from gateway.outbox.queries import counts_by_status
    from gateway.outbox.queries import list_messages as query

    if status is not None and status not in STATUSES:
        err(f"--status: unknown status {status!r} (known: {', '.join(STATUSES)})")
        raise typer.Exit(2)
    settings = settings_or_exit(secret=False)
    chosen = Format.jsonl if as_json else fmt

    async def _list() -> None:
        async with database(settings) as sessions, sessions() as db:
            rows = await query(db, status, limit)
            counts = await counts_by_status(db)
        with destination(output) as out:
            if chosen is Format.table:
                write_table(out, HEADER, [_table_row(row) for row in rows], fill_last=True)
            else:
                write_records(out, chosen, COLUMNS, [_record(row) for row in rows])
        err(
            f"{len(rows)} message(s); outbox: "
            + ", ".join(f"{name} {count}" for name, count in counts.items())
        )

    run(_list)


def _record(row: MessageView) -> dict[str, Any]:
    return {
        name: (value.isoformat() if isinstance(value, datetime) else value)
        for name, value in ((name, getattr(row, name)) for name in COLUMNS)
    }


def _table_row(row: MessageView) -> list[str]:
    status = row.status + (f" ({row.failure_reason})" if row.failure_reason else "")
    return [
        str(row.id),
        f"{row.created_at:%Y-%m-%d %H:%M}",
        row.kind,
        row.language,
        status,
        str(row.attempts),
        f"{row.segments} {row.encoding}",
        row.provider_message_id or "-",
        row.cost or "-",
        # A scrubbed receipt (anonymous report) has no text left to show.
        row.body or "-",
    ]


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
