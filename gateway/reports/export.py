"""Reports as rows for people and programs: no phone number, no contact, ever."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gateway.areas.models import Area
from gateway.db.engine import SessionMaker
from gateway.reports.models import URGENT, Report

log = logging.getLogger(__name__)

COLUMNS = (
    "reference",
    "created_at",
    "channel",
    "language",
    "topic",
    "country",
    "province",
    "commune",
    "urgency",
    "status",
    "anonymous",
    "description",
)
# Rows read per page of an export: small enough that a page is read in a few milliseconds and
# held in memory briefly, large enough that a fast client does not wait on round trips.
PAGE_ROWS = 500
# A spreadsheet takes a cell starting with one of these for a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Page reads that go on after their consumer was cancelled, until they have finished.
_ORPHANS: set[asyncio.Future[Any]] = set()


@dataclass(frozen=True)
class ReportFilter:
    since: datetime | None = None
    until: datetime | None = None
    topic: str | None = None
    status: str | None = None
    language: str | None = None
    area_ids: frozenset[int] | None = None  # communes; None means everywhere
    channel: str | None = None
    urgent_only: bool = False
    placeless_only: bool = False
    # Keyset paging: only reports older than this (created_at, id), in the listing's order.
    older_than: tuple[datetime, int] | None = None
    limit: int | None = None
    offset: int = 0


def report_rows_query(where: ReportFilter) -> Select:
    commune, province = aliased(Area), aliased(Area)
    query = (
        select(
            Report.reference,
            Report.created_at,
            Report.channel,
            Report.language,
            Report.topic,
            commune.country_code.label("country"),
            province.name.label("province"),
            commune.name.label("commune"),
            Report.urgency,
            Report.status,
            Report.anonymous,
            Report.description,
        )
        .outerjoin(commune, commune.id == Report.area_id)
        .outerjoin(province, province.id == commune.parent_id)
        .order_by(Report.created_at.desc(), Report.id.desc())
    )
    if where.since is not None:
        query = query.where(Report.created_at >= where.since)
    if where.until is not None:
        query = query.where(Report.created_at < where.until)
    if where.topic is not None:
        query = query.where(Report.topic == where.topic)
    if where.status is not None:
        query = query.where(Report.status == where.status)
    if where.language is not None:
        query = query.where(Report.language == where.language)
    if where.area_ids is not None:
        query = query.where(Report.area_id.in_(sorted(where.area_ids)))
    if where.channel is not None:
        query = query.where(Report.channel == where.channel)
    if where.urgent_only:
        query = query.where(text(URGENT))  # the partial index's own predicate
    if where.placeless_only:
        query = query.where(Report.area_id.is_(None))
    if where.older_than is not None:
        query = query.where(_older_than(*where.older_than))
    if where.offset:
        query = query.offset(where.offset)
    if where.limit is not None:
        query = query.limit(where.limit)
    return query


async def iter_report_rows(session: AsyncSession, query: Select) -> AsyncIterator[dict[str, Any]]:
    result = await session.stream(query.execution_options(yield_per=500))
    async for row in result:
        yield _record(row)


async def report_pages(
    sessionmaker: SessionMaker, where: ReportFilter, page_rows: int = PAGE_ROWS
) -> AsyncIterator[list[dict[str, Any]]]:
    """The rows report_rows_query gives, in its order, a page at a time.

    Each page is read in a session of its own, closed before the page is handed on: whoever
    consumes the pages at a reader's pace holds no database connection while it waits. The pages
    follow one another by key (created_at, id), not by offset, so each costs the same however deep.
    """
    if where.offset:
        raise ValueError("pages follow one another by key; an offset has no place here")
    remaining = where.limit
    query = report_rows_query(replace(where, limit=None)).add_columns(Report.id)
    after: tuple[datetime, int] | None = None
    while remaining is None or remaining > 0:
        size = page_rows if remaining is None else min(page_rows, remaining)
        page = query if after is None else query.where(_older_than(*after))
        rows = await _read_to_the_end(sessionmaker, page.limit(size))
        if not rows:
            return
        last = rows[-1]
        after = (last[COLUMNS.index("created_at")], last[-1])
        yield [_record(row[:-1]) for row in rows]
        if len(rows) < size:
            return
        if remaining is not None:
            remaining -= len(rows)


async def _read_to_the_end(sessionmaker: SessionMaker, query: Select) -> Sequence[Row[Any]]:
    # A consumer cancelled mid-read (its client left) must not cancel the read itself: a driver
    # call cut short can leave its connection mid-transaction (on SQLite, holding the write lock
    # that every USSD hop needs). The read is short; it finishes on its own and is dropped.
    async def read() -> Sequence[Row[Any]]:
        async with sessionmaker() as session:
            return (await session.execute(query)).all()

    task = asyncio.ensure_future(read())
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        _ORPHANS.add(task)  # the event loop keeps only a weak reference to a task
        task.add_done_callback(_orphan_done)
        raise


def _orphan_done(task: asyncio.Future[Any]) -> None:
    # Nobody awaits the read any more: say here if it failed.
    _ORPHANS.discard(task)
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.warning("a page of an export failed: %s: %s", type(exc).__name__, exc)


def _older_than(created_at: datetime, report_id: int) -> ColumnElement[bool]:
    # After (created_at, id) in the order created_at DESC, id DESC. The first term says nothing the
    # second does not, but it is one an index on created_at (alone or after an equality filter's
    # column) starts its scan from: without it, a page far down read every newer report first.
    return and_(
        Report.created_at <= created_at,
        or_(Report.created_at < created_at, and_(Report.created_at == created_at, Report.id < report_id)),
    )


def _record(row: Sequence[Any]) -> dict[str, Any]:
    record = dict(zip(COLUMNS, row, strict=True))
    record["created_at"] = record["created_at"].isoformat(timespec="seconds")
    return record


def csv_header() -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(COLUMNS)
    return buffer.getvalue()


def csv_line(record: dict[str, Any]) -> str:
    """One CSV row; a text cell a spreadsheet would run as a formula gets a leading ' (as OWASP advises)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell(v) for v in record.values()])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def jsonl_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"
