"""Reading, changing and exporting reports on behalf of a reader: the rules the admin API and the
web console share (they may not import each other). Every read is audited by the caller's
transaction; nothing here commits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from typing import Literal, Protocol

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send

from gateway.audit.service import record_by
from gateway.http.scope import reach
from gateway.reports.corrections import CorrectionError, place_report, set_topic
from gateway.reports.export import (
    ReportFilter,
    csv_header,
    csv_line,
    jsonl_line,
    report_pages,
    report_rows_query,
)
from gateway.reports.models import Report
from gateway.reports.reference import parse_reference
from gateway.reports.status import StatusError, change_status
from gateway.wiring import Gateway

EXPORT_RETRY_AFTER_S = 30
ExportFormat = Literal["csv", "jsonl"]


class Reader(Protocol):
    """An API token's holder or a console person: a name and role for the audit log, a committee
    for what it may see."""

    @property
    def audit_name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def committee_id(self) -> int | None: ...


class ChangeRefused(ValueError):
    """A change that cannot be made, naming the field at fault; raised inside the caller's
    transaction, so nothing of the request is kept."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


async def within_reach(db: AsyncSession, gateway: Gateway, who: Reader, asked: ReportFilter) -> ReportFilter:
    """`asked`, narrowed to the communes `who` may read about."""
    own = await reach(db, gateway, who)
    if own is None:
        return asked
    area_ids = own if asked.area_ids is None else set(asked.area_ids) & own
    return replace(asked, area_ids=frozenset(area_ids))


async def report_in_reach(db: AsyncSession, gateway: Gateway, who: Reader, reference: str) -> Report | None:
    """The report, or None when there is none or `who` may not see it: another committee's report
    is, to a committee, no report at all (not a refusal that says it exists)."""
    parsed = parse_reference(reference)
    if parsed is None:
        return None
    report = (await db.execute(select(Report).where(Report.reference == parsed))).scalar_one_or_none()
    if report is not None and who.role == "committee":
        own = await reach(db, gateway, who) or set()
        if report.area_id not in own:
            return None
    return report


async def change_report(
    db: AsyncSession,
    gateway: Gateway,
    actor: str,
    report: Report,
    *,
    place_id: int | None = None,
    topic: str | None = None,
    status: str | None = None,
    note: str | None = None,
    committee_id: int | None = None,
) -> list[str]:
    """Sets a report's place (a commune: routed to its committees as if placed at once), topic and
    status (the reporter told as the status service says); returns what changed."""
    changes = []
    try:
        if place_id is not None:
            directory = await gateway.directory.get(db)
            if await place_report(db, gateway.notifier, directory, report, place_id, actor):
                place = directory.get(place_id)
                changes.append(f"place={place.name if place else place_id}")
        if topic is not None and set_topic(db, report, topic, actor):
            changes.append(f"topic={topic}")
    except CorrectionError as exc:
        raise ChangeRefused(exc.field, str(exc)) from None
    if status is not None:
        try:
            await change_status(db, gateway.notifier, report.reference, status, note, actor, committee_id)
        except StatusError as exc:
            raise ChangeRefused("note" if "note" in str(exc) else "status", str(exc)) from None
        changes.append(f"status={status}")
    return changes


async def export_response(
    request: Request,
    gateway: Gateway,
    who: Reader,
    asked: Callable[[AsyncSession], Awaitable[ReportFilter]],
    format: ExportFormat,
    detail: str,
) -> Response | None:
    """The reports `asked` filters (within `who`'s reach) as a streamed CSV or JSONL download,
    audited; None when as many exports as this process allows are already running (the caller says
    so its own way). `asked` is read only once a slot is held, so a busy process says so first."""
    slots: asyncio.Semaphore = request.app.state.export_slots
    if slots.locked():
        # Not a queue: each export waiting here would be one more client held open.
        return None
    await slots.acquire()  # free, so this does not wait
    try:
        async with gateway.sessionmaker() as db, db.begin():
            where = await within_reach(db, gateway, who, await asked(db))
            count = (
                await db.execute(select(func.count()).select_from(report_rows_query(where).subquery()))
            ).scalar_one()
            record_by(db, who, "reports.export", f"{format}; {detail}", count)
    except BaseException:
        slots.release()
        raise
    return ExportResponse(
        _export_lines(gateway, where, format),
        release=slots.release,
        media_type="text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="reports.{format}"'},
    )


async def _export_lines(gateway: Gateway, where: ReportFilter, format: str) -> AsyncGenerator[str, None]:
    if format == "csv":
        yield csv_header()
    line = csv_line if format == "csv" else jsonl_line
    async for page in report_pages(gateway.sessionmaker, where):
        yield "".join(line(row) for row in page)


class ExportResponse(StreamingResponse):
    """A streamed export that gives its slot back however it ends: done, failed, or the client gone.

    Starlette stops reading the body iterator when the client leaves but does not close it; this
    closes it at once, rather than whenever the garbage collector would.
    """

    def __init__(
        self,
        lines: AsyncGenerator[str, None],
        release: Callable[[], None],
        media_type: str,
        headers: dict[str, str],
    ) -> None:
        super().__init__(lines, media_type=media_type, headers=headers)
        self._lines = lines
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                await self._lines.aclose()
            finally:
                self._release()
