"""The reports inbox: `/reports` (filtered, newest first, 50 a page), a report's page with its
history and the forms that move it along, and `/reports.csv`.

Every rule is the API's (gateway/http/reports.py): what a committee member may see, how a new place
routes a report, who hears of a status change, the export's audit and concurrency limit. Query
parameters are read by hand, never by FastAPI's validation: a bad one is ignored and said on the
page, so no address typed or pasted gives an error page or a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, QueryParams

from gateway.accounts.people import Person
from gateway.areas.importer import LEVEL_COMMUNE
from gateway.audit.service import record_by
from gateway.http.deps import GatewayDep
from gateway.http.reports import (
    EXPORT_RETRY_AFTER_S,
    ChangeRefused,
    change_report,
    export_response,
    report_in_reach,
    within_reach,
)
from gateway.http.scope import reach
from gateway.i18n.languages import CODES
from gateway.reports.export import ReportFilter, iter_report_rows, report_rows_query
from gateway.reports.models import Report, ReportEvent
from gateway.reports.service import CHANNELS, STATUSES, TOPICS
from gateway.reports.status import MAX_NOTE
from gateway.security.phone import mask_in_text
from gateway.security.text import strip_controls
from gateway.web.auth import (
    ConsoleState,
    OrganiserOnly,
    SignedIn,
    State,
    Writer,
    committee_scope,
    console_router,
    message_page,
    page,
)
from gateway.web.fields import whole_number
from gateway.web.pages import redirect
from gateway.wiring import Gateway

router = console_router()
PAGE_SIZE = 50
# Dates the database and every driver take; outside them a date is a typing error.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
# Filters, as the list's form names them (and as the CSV's address repeats them).
FILTERS = ("from", "to", "area", "topic", "status", "language", "channel", "urgent", "placeless")
YES = frozenset({"1", "on", "true", "oui"})
# What report_events.kind holds; anything else is shown as "other", never as a raw message id.
EVENT_KINDS = frozenset({"status", "ack", "info", "told", "place", "topic"})
NOTICES = {"place": "console.reports.done.place", "status": "console.reports.done.status"}


@dataclass
class Asked:
    """The filters as understood: what the form shows back, what the query uses, what was refused."""

    values: dict[str, str] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    where: ReportFilter = field(default_factory=ReportFilter)
    after: str | None = None

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.values.items()) or "no filter"

    def query(self, **extra: str) -> str:
        return urlencode({**self.values, **extra})


def _date(text: str) -> date | None:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def _midnight(day: date) -> datetime:
    # Mali and Burkina Faso keep UTC all year: a day there is a UTC day.
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def read_filters(params: QueryParams, communes: dict[int, str]) -> Asked:
    """The query's filters; anything unreadable is dropped and named in `refused` (message ids)."""
    asked = Asked()
    values: dict[str, Any] = {}

    def text(name: str) -> str:
        return strip_controls(params.get(name, ""))[:200].strip()

    for name, key in (("from", "since"), ("to", "until")):
        raw = text(name)
        if not raw:
            continue
        day = _date(raw)
        if day is None:
            asked.refused.append("console.reports.bad_date")
            continue
        asked.values[name] = day.isoformat()
        values[key] = _midnight(day + timedelta(days=1 if name == "to" else 0))
    raw_area = text("area")
    if raw_area:
        area_id = whole_number(raw_area)
        if area_id is None or area_id not in communes:
            asked.refused.append("console.reports.bad_area")
        else:
            asked.values["area"] = str(area_id)
            values["area_ids"] = frozenset({area_id})
    for name, known in (
        ("topic", TOPICS),
        ("status", STATUSES),
        ("language", CODES),
        ("channel", CHANNELS),
    ):
        raw = text(name)
        if not raw:
            continue
        if raw not in known:
            asked.refused.append(f"console.reports.bad_{name}")
            continue
        asked.values[name] = raw
        values[name] = raw
    for name, key in (("urgent", "urgent_only"), ("placeless", "placeless_only")):
        if text(name).lower() in YES:
            asked.values[name] = "1"
            values[key] = True
    asked.where = ReportFilter(**values)
    after = text("after")
    asked.after = after or None
    return asked


async def _communes(db: AsyncSession, gateway: Gateway, person: Person) -> dict[int, str]:
    """The communes this person may pick from, by id: 'Zégoua (Kadiolo)', in name order."""
    directory = await gateway.directory.get(db)
    own = await reach(db, gateway, person)
    communes = [
        place
        for place in directory.places.values()
        if place.level == LEVEL_COMMUNE and (own is None or place.id in own)
    ]
    labels = {}
    for place in sorted(communes, key=lambda p: (p.name.casefold(), p.id)):
        parent = directory.get(place.parent_id)
        labels[place.id] = f"{place.name} ({parent.name})" if parent else place.name
    return labels


def _when(value: str | datetime) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M")


@router.get("/reports")
async def inbox(request: Request, gateway: GatewayDep, state: State, person: SignedIn) -> Response:
    async with gateway.sessionmaker() as db, db.begin():
        communes = await _communes(db, gateway, person)
        asked = read_filters(request.query_params, communes)
        where = await within_reach(db, gateway, person, asked.where)
        if asked.after is not None:
            older = await report_in_reach(db, gateway, person, asked.after)
            if older is None:
                asked.refused.append("console.reports.bad_after")
            else:
                where = replace(where, older_than=(older.created_at, older.id))
        query = report_rows_query(replace(where, limit=PAGE_SIZE + 1))
        rows = [row async for row in iter_report_rows(db, query)]
        record_by(db, person, "reports.list", asked.describe(), min(len(rows), PAGE_SIZE))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    for row in rows:
        row["when"] = _when(row["created_at"])
    context = {
        "rows": rows,
        "asked": asked,
        "communes": communes,
        "topics": TOPICS,
        "statuses": STATUSES,
        "languages": CODES,
        "channels": CHANNELS,
        "next_query": asked.query(after=rows[-1]["reference"]) if more else None,
        "first_query": asked.query() if asked.after else None,
        "export_query": asked.query(),
    }
    status = 400 if asked.refused else 200
    return page(request, gateway, state, "reports.html", context, status, person=person)


@router.get("/reports.csv")
async def export(request: Request, gateway: GatewayDep, state: State, person: SignedIn) -> Response:
    async with gateway.sessionmaker() as db:
        communes = await _communes(db, gateway, person)
    asked = read_filters(request.query_params, communes)
    if asked.refused:
        # An export of something other than what was asked would be worse than none.
        return _message(request, gateway, state, person, "console.reports.export_refused", 400)

    async def wanted(_db: AsyncSession) -> ReportFilter:
        return asked.where

    response = await export_response(request, gateway, person, wanted, "csv", asked.describe())
    if response is None:
        busy = _message(request, gateway, state, person, "console.reports.export_busy", 429)
        busy.headers["Retry-After"] = str(EXPORT_RETRY_AFTER_S)
        return busy
    return response


def _message(
    request: Request, gateway: Gateway, state: ConsoleState, person: Person, text_id: str, status: int
) -> Response:
    return message_page(request, gateway, state, person, "reports", text_id, status)


def _missing(request: Request, gateway: Gateway, state: ConsoleState, person: Person) -> Response:
    return _message(request, gateway, state, person, "console.reports.missing", 404)


async def _report_page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    db: AsyncSession,
    report: Report,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    [row] = [
        r async for r in iter_report_rows(db, report_rows_query(ReportFilter()).where(Report.id == report.id))
    ]
    events = (
        (
            await db.execute(
                select(ReportEvent)
                .where(ReportEvent.report_id == report.id)
                .order_by(ReportEvent.at, ReportEvent.id)
            )
        )
        .scalars()
        .all()
    )
    history = [
        {
            "when": _when(e.at),
            "kind": e.kind,
            "label": f"console.report.event.{e.kind}"
            if e.kind in EVENT_KINDS
            else "console.report.event.other",
            "status": e.status,
            "note": mask_in_text(e.note) if e.note else "",
            "actor": mask_in_text(e.actor or ""),
        }
        for e in events
    ]
    record_by(db, person, "reports.read", report.reference, 1)
    committee_may = person.role == "committee"  # report_in_reach already kept it to their areas
    context = {
        "report": row,
        "when": _when(row["created_at"]),
        "text": mask_in_text(row["description"]),
        "place_confirmed": report.place_confirmed,
        "history": history,
        "acks": [h for h in history if h["kind"] == "ack"],
        "may_place": person.role == "organiser",
        "may_status": person.role == "organiser" or committee_may,
        "communes": await _communes(db, gateway, person) if person.role == "organiser" else {},
        "area_id": report.area_id,
        "topics": TOPICS,
        "statuses": STATUSES,
        "max_note": MAX_NOTE,
        "error": error,
        "form": form or {},
        "notice": NOTICES.get(request.query_params.get("done", "")),
    }
    return page(request, gateway, state, "report.html", context, status_code, person=person)


@router.get("/reports/{reference}")
async def report_page(
    reference: str, request: Request, gateway: GatewayDep, state: State, person: SignedIn
) -> Response:
    async with gateway.sessionmaker() as db, db.begin():
        report = await report_in_reach(db, gateway, person, reference[:40])
        if report is None:
            return _missing(request, gateway, state, person)
        return await _report_page(request, gateway, state, person, db, report)


def _field(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return strip_controls(value)[:limit].strip() if isinstance(value, str) else ""


@router.post("/reports/{reference}/place")
async def set_place(
    reference: str, request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly
) -> Response:
    form = await request.form()
    raw_place, topic = _field(form, "place"), _field(form, "topic")
    place_id = whole_number(raw_place)
    if raw_place and place_id is None:
        return await _refused(request, gateway, state, person, reference, "console.reports.bad_place")
    if topic and topic not in TOPICS:
        return await _refused(request, gateway, state, person, reference, "console.reports.bad_topic")
    return await _change(
        request, gateway, state, person, reference, "place", place_id=place_id, topic=topic or None
    )


@router.post("/reports/{reference}/status")
async def set_status(
    reference: str, request: Request, gateway: GatewayDep, state: State, person: Writer
) -> Response:
    form = await request.form()
    status, note = _field(form, "status"), _field(form, "note", MAX_NOTE + 1)
    if status not in STATUSES:
        return await _refused(request, gateway, state, person, reference, "console.reports.bad_status")
    if len(note) > MAX_NOTE:
        return await _refused(
            request, gateway, state, person, reference, "console.reports.note_too_long", {"note": note}
        )
    return await _change(
        request, gateway, state, person, reference, "status", status=status, note=note or None
    )


async def _change(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    reference: str,
    done: str,
    **change: Any,
) -> Response:
    try:
        async with gateway.sessionmaker() as db, db.begin():
            report = await report_in_reach(db, gateway, person, reference[:40])
            if report is None:
                return _missing(request, gateway, state, person)
            changes = await change_report(
                db, gateway, person.name, report, committee_id=committee_scope(person), **change
            )
            record_by(
                db, person, "reports.change", f"{report.reference}: {', '.join(changes) or 'no change'}", 1
            )
            target = report.reference
    except ChangeRefused as refused:  # raised inside the transaction: nothing of the request is kept
        message = {
            "note": "console.reports.note_needed",
            "place": "console.reports.bad_place",
            "topic": "console.reports.bad_topic",
        }.get(refused.field, "console.reports.bad_status")
        form = {"note": str(change.get("note") or "")}
        return await _refused(request, gateway, state, person, reference, message, form)
    return redirect(request, f"/reports/{target}?done={done}")


async def _refused(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    reference: str,
    message: str,
    form: dict[str, str] | None = None,
) -> Response:
    async with gateway.sessionmaker() as db, db.begin():
        report = await report_in_reach(db, gateway, person, reference[:40])
        if report is None:
            return _missing(request, gateway, state, person)
        return await _report_page(
            request, gateway, state, person, db, report, error=message, status_code=422, form=form
        )
