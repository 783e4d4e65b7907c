from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO

import typer

from gateway.cli.common import err, run, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Stored reports (never with phone numbers).")


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        err(f"--since: not an ISO date or date-time: {value!r}")
        raise typer.Exit(2) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _topic(value: str | None) -> str | None:
    from gateway.reports.service import TOPICS

    if value is not None and value not in TOPICS:
        err(f"--topic: unknown topic {value!r} (known: {', '.join(TOPICS)})")
        raise typer.Exit(2)
    return value


async def _write(out: IO[str], fmt: str, since: datetime | None, topic: str | None, limit: int | None) -> int:
    from gateway.db.engine import create_engine, create_sessionmaker
    from gateway.reports.export import ReportFilter, csv_header, csv_line, jsonl_line, report_pages

    settings = settings_or_exit(secret=False)
    engine = create_engine(settings)
    count = 0
    try:
        if fmt == "csv":
            out.write(csv_header())
        if fmt == "json":
            out.write("[")
        if fmt == "table":
            out.write(
                f"{'reference':<9} {'created (UTC)':<19} {'ch':<4} {'lang':<4} {'topic':<21} "
                f"{'commune':<22} {'urgency':<11} {'anon':<4} description\n"
            )
        # A page at a time, each read in its own short transaction: a slow pipe (| less, a full
        # disk) must not hold SQLite's write lock and with it every USSD hop.
        where = ReportFilter(since=since, topic=topic, limit=limit)
        async for page in report_pages(create_sessionmaker(engine), where):
            for record in page:
                if fmt == "csv":
                    out.write(csv_line(record))
                elif fmt == "jsonl":
                    out.write(jsonl_line(record))
                elif fmt == "json":
                    out.write(("," if count else "") + "\n  " + jsonl_line(record).rstrip("\n"))
                else:
                    text = " ".join(record["description"].split())
                    out.write(
                        f"{record['reference']:<9} {record['created_at'][:19]:<19} {record['channel']:<4} "
                        f"{record['language']:<4} {record['topic']:<21} {str(record['commune'] or '-')[:22]:<22} "
                        f"{record['urgency']:<11} {'yes' if record['anonymous'] else 'no':<4} "
                        f"{text[:60]}{'…' if len(text) > 60 else ''}\n"
                    )
                count += 1
        if fmt == "json":
            out.write("\n]\n")
    finally:
        await engine.dispose()
    return count


@app.command("list")
def list_reports(
    fmt: ListFormat = typer.Option(
        ListFormat.table, "--format", help="table for people; json, jsonl, csv for programs."
    ),
    limit: int = typer.Option(50, min=1, help="At most this many, newest first."),
    since: str = typer.Option(None, help="Only reports from this ISO date/time (UTC) on."),
    topic: str = typer.Option(None, help="Only this topic."),
) -> None:
    """Show the newest reports: reference, time, channel, language, topic, area, urgency, text."""
    count = run(lambda: _write(sys.stdout, fmt.value, _since(since), _topic(topic), limit))
    err(f"{count} report(s)")


@app.command("export")
def export_reports(
    fmt: ExportFormat = typer.Option(..., "--format", help="csv or jsonl."),
    output: Path = typer.Option(None, "--output", "-o", help="Write here instead of standard output."),
    since: str = typer.Option(None, help="Only reports from this ISO date/time (UTC) on."),
    topic: str = typer.Option(None, help="Only this topic."),
) -> None:
    """Export every stored report (streamed, so any number fits) without phone numbers."""
    since_value, topic_value = _since(since), _topic(topic)
    if output is None:
        count = run(lambda: _write(sys.stdout, fmt.value, since_value, topic_value, None))
    else:
        with output.open("w", encoding="utf-8", newline="") as handle:
            count = run(lambda: _write(handle, fmt.value, since_value, topic_value, None))
    err(f"exported {count} report(s)" + (f" to {output}" if output else ""))


@app.command("status")
def set_status(
    reference: str = typer.Argument(..., help="The report's reference, e.g. R-7K3F."),
    status: str = typer.Option(..., "--set", help="new, forwarded, acknowledged, in_progress or closed."),
    note: str = typer.Option(None, help="What was done (required to close; sent to the reporter)."),
    actor: str = typer.Option("organiser", help="Who is changing it (kept in the report's history)."),
) -> None:
    """Change a report's status; closing it tells the reporter (unless the report is anonymous)."""
    from gateway.reports.status import StatusError, change_status
    from gateway.wiring import Gateway

    settings = settings_or_exit()

    async def _status() -> None:
        gateway = Gateway.build(settings)
        try:
            async with gateway.sessionmaker() as db, db.begin():
                report, told = await change_status(db, gateway.notifier, reference, status, note, actor)
        except StatusError as exc:
            err(str(exc))
            raise typer.Exit(2) from None
        finally:
            await gateway.close()
        err(f"{report.reference}: {status}" + ("; the reporter will be told by SMS" if told else ""))

    run(_status)
