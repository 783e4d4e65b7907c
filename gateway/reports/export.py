"""Reports as rows for people and programs: no phone number, no contact, ever."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gateway.areas.models import Area
from gateway.reports.models import Report

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


@dataclass(frozen=True)
class ReportFilter:
    since: datetime | None = None
    until: datetime | None = None
    topic: str | None = None
    status: str | None = None
    language: str | None = None
    area_ids: frozenset[int] | None = None  # communes; None means everywhere
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
    if where.offset:
        query = query.offset(where.offset)
    if where.limit is not None:
        query = query.limit(where.limit)
    return query


async def iter_report_rows(session: AsyncSession, query: Select) -> AsyncIterator[dict[str, Any]]:
    result = await session.stream(query.execution_options(yield_per=500))
    async for row in result:
        record = dict(zip(COLUMNS, row, strict=True))
        record["created_at"] = record["created_at"].isoformat(timespec="seconds")
        yield record


def csv_header() -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(COLUMNS)
    return buffer.getvalue()


def csv_line(record: dict[str, Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(
        ["true" if v is True else "false" if v is False else v for v in record.values()]
    )
    return buffer.getvalue()


def jsonl_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"
