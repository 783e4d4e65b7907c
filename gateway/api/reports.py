"""Admin API: /api/v1/reports — read, filter, export and move reports along; every read is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.tokens import Principal
from gateway.api.deps import Mover, Reader
from gateway.api.params import Clean, Moment
from gateway.areas.coverage import communes_under
from gateway.areas.lookup import AreaLookupError, find_areas
from gateway.audit.service import record_by
from gateway.http.deps import GatewayDep
from gateway.http.reports import (
    EXPORT_RETRY_AFTER_S,
    ChangeRefused,
    export_response,
    report_in_reach,
    within_reach,
)
from gateway.http.reports import (
    change_report as apply_change,
)
from gateway.i18n.languages import LanguageCode
from gateway.reports.export import ReportFilter, iter_report_rows, report_rows_query
from gateway.reports.models import Report
from gateway.reports.service import Status, Topic
from gateway.wiring import Gateway

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class ReportOut(BaseModel):
    reference: str
    created_at: str
    channel: str
    language: str
    topic: str
    country: str | None
    province: str | None
    commune: str | None
    urgency: str
    status: str
    anonymous: bool
    description: str


class ReportChange(BaseModel):
    """A status (with a note), a place, a topic: any of them, at least one."""

    status: Status | None = None
    note: Clean | None = Field(default=None, max_length=500)
    place: Clean | None = Field(
        default=None,
        min_length=1,
        max_length=160,
        description="The commune where it happened; 'Kourouma, Kénédougou' or 'commune:X' if the name is shared.",
    )
    topic: Topic | None = None

    @model_validator(mode="after")
    def _something(self) -> ReportChange:
        if self.status is None and self.place is None and self.topic is None:
            raise ValueError("give a status, a place or a topic")
        return self


class Filters:
    """The query parameters every read takes, turned into a ReportFilter within the token's reach."""

    def __init__(
        self,
        since: Moment | None = Query(None, description="ISO date-time (UTC if no zone)."),
        until: Moment | None = Query(None),
        area: Clean | None = Query(
            None, max_length=160, description="Commune, cercle/province or region name."
        ),
        topic: Topic | None = Query(None),
        status: Status | None = Query(None),
        language: LanguageCode | None = Query(None),
    ) -> None:
        self.since, self.until, self.area = since, until, area
        self.topic, self.status, self.language = topic, status, language

    async def resolve(
        self,
        db: AsyncSession,
        gateway: Gateway,
        principal: Principal,
        limit: int | None = None,
        offset: int = 0,
    ) -> ReportFilter:
        directory = await gateway.directory.get(db)
        area_ids: set[int] | None = None
        if self.area is not None:
            try:
                area_ids = communes_under(directory, [a.id for a in await find_areas(db, [self.area])])
            except AreaLookupError as exc:
                raise HTTPException(422, {"error": str(exc), "field": "area"}) from None
        asked = ReportFilter(
            since=_utc(self.since),
            until=_utc(self.until),
            topic=self.topic,
            status=self.status,
            language=self.language,
            area_ids=frozenset(area_ids) if area_ids is not None else None,
            limit=limit,
            offset=offset,
        )
        return await within_reach(db, gateway, principal, asked)

    def describe(self) -> str:
        parts = {k: v for k, v in self.__dict__.items() if v is not None}
        return ", ".join(f"{k}={v}" for k, v in parts.items()) or "no filter"


FiltersDep = Annotated[Filters, Depends()]


def _utc(moment: datetime | None) -> datetime | None:
    from datetime import UTC

    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("", response_model=list[ReportOut])
async def list_reports(
    principal: Reader,
    gateway: GatewayDep,
    filters: FiltersDep,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> list[dict[str, Any]]:
    async with gateway.sessionmaker() as db, db.begin():
        where = await filters.resolve(db, gateway, principal, limit, offset)
        rows = [row async for row in iter_report_rows(db, report_rows_query(where))]
        record_by(db, principal, "reports.list", filters.describe(), len(rows))
    return rows


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, "application/x-ndjson": {}}},
        429: {"description": "As many exports as this process allows are already running."},
    },
)
async def export_reports(
    request: Request,
    principal: Reader,
    gateway: GatewayDep,
    filters: FiltersDep,
    format: Literal["csv", "jsonl"] = Query("csv"),
) -> Response:
    async def asked(db: AsyncSession) -> ReportFilter:
        return await filters.resolve(db, gateway, principal)

    response = await export_response(request, gateway, principal, asked, format, filters.describe())
    if response is None:
        return JSONResponse(
            {"error": "too many exports running; retry later"},
            status_code=429,
            headers={"Retry-After": str(EXPORT_RETRY_AFTER_S)},
        )
    return response


async def _one(db: AsyncSession, gateway: Gateway, principal: Principal, reference: str) -> Report:
    report = await report_in_reach(db, gateway, principal, reference)
    if report is None:
        raise HTTPException(404, "no such report")
    return report


async def _row(db: AsyncSession, report: Report) -> dict[str, Any]:
    query = report_rows_query(ReportFilter()).where(Report.id == report.id)
    [row] = [r async for r in iter_report_rows(db, query)]
    return row


@router.get("/{reference}", response_model=ReportOut)
async def get_report(reference: str, principal: Reader, gateway: GatewayDep) -> dict[str, Any]:
    async with gateway.sessionmaker() as db, db.begin():
        report = await _one(db, gateway, principal, reference)
        row = await _row(db, report)
        record_by(db, principal, "reports.read", report.reference, 1)
    return row


@router.patch("/{reference}", response_model=ReportOut)
async def change_report(
    reference: str, body: ReportChange, principal: Mover, gateway: GatewayDep
) -> dict[str, Any] | JSONResponse:
    """Move a report along, or set its place or topic (an SMS report often arrives without a
    place): a new place routes it as if it had been placed at once. Audited; all or nothing."""
    try:
        async with gateway.sessionmaker() as db, db.begin():
            report = await _one(db, gateway, principal, reference)
            changes = await _apply(db, gateway, principal, report, body)
            await db.flush()
            row = await _row(db, report)
            record_by(
                db, principal, "reports.change", f"{report.reference}: {', '.join(changes) or 'no change'}", 1
            )
    except ChangeRefused as exc:  # raised inside the transaction, so nothing of the request is kept
        return JSONResponse({"error": str(exc), "field": exc.field}, 422)
    return row


async def _apply(
    db: AsyncSession, gateway: Gateway, principal: Principal, report: Report, body: ReportChange
) -> list[str]:
    place_id = None
    if body.place is not None:
        try:
            [area] = await find_areas(db, [body.place])
        except AreaLookupError as exc:
            raise ChangeRefused("place", str(exc)) from None
        place_id = area.id
    return await apply_change(
        db,
        gateway,
        principal.name,
        report,
        place_id=place_id,
        topic=body.topic,
        status=body.status,
        note=body.note,
        committee_id=principal.committee_id if principal.role == "committee" else None,
    )
