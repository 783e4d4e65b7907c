"""The audit log in the console: `/audit`, organisers only, newest first, 50 a page, filtered by
who (any part of the name), what (an action, or the start of one: `reports` is every
`reports.*`) and dates.

Rows hold no phone number by construction (audit.service.record masks the detail; actors are
account names, token names or masked logins), and every actor and detail is masked again here:
a row written before that rule, or by a caller that went around it, still shows no number.

Reading the log is itself recorded (`audit.read`, with the filters): it says who looked at whom
did what, which is the kind of read of people's data DESIGN §6 asks to be kept. That row is
written after the page's rows are read, so a page never lists its own reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, func, select
from starlette.datastructures import QueryParams

from gateway.audit.models import AuditEvent
from gateway.audit.service import record_by
from gateway.http.deps import GatewayDep
from gateway.security.phone import mask_in_text
from gateway.security.text import strip_controls
from gateway.web.auth import OrganiserOnly, State, console_router, page
from gateway.web.fields import whole_number

router = console_router()
PAGE_SIZE = 50
# The actions offered in the filter's list are those of the newest rows this many: a bounded
# read, where a DISTINCT over the whole log would scan all of it on every page.
RECENT_ACTIONS = 5000
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
TEXT_MAX = 100


@dataclass
class Asked:
    """The filters as understood: what the form shows back, the query's conditions, what was refused."""

    values: dict[str, str] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    where: list[ColumnElement[bool]] = field(default_factory=list)
    before: int | None = None

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.values.items()) or "no filter"

    def query(self, **extra: str) -> str:
        return urlencode({**self.values, **extra})


def _day(text: str) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def read_filters(params: QueryParams) -> Asked:
    asked = Asked()

    def text(name: str) -> str:
        return strip_controls(params.get(name, ""))[:TEXT_MAX].strip()

    actor = text("actor")
    if actor:
        asked.values["actor"] = actor
        asked.where.append(func.lower(AuditEvent.actor).contains(actor.lower(), autoescape=True))
    action = text("action")
    if action:
        asked.values["action"] = action
        asked.where.append(
            (AuditEvent.action == action) | AuditEvent.action.startswith(action + ".", autoescape=True)
        )
    for name in ("from", "to"):
        raw = text(name)
        if not raw:
            continue
        day = _day(raw)
        if day is None:
            asked.refused.append("console.audit.bad_date")
            continue
        asked.values[name] = day.isoformat()
        # Mali and Burkina Faso keep UTC all year: their day is a UTC day.
        if name == "from":
            asked.where.append(AuditEvent.at >= datetime(day.year, day.month, day.day, tzinfo=UTC))
        else:
            end = day + timedelta(days=1)
            asked.where.append(AuditEvent.at < datetime(end.year, end.month, end.day, tzinfo=UTC))
    before = text("before")
    if before:
        asked.before = whole_number(before, 11)
        if asked.before is None:
            asked.refused.append("console.audit.bad_page")
    return asked


@router.get("/audit")
async def audit_log(request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly) -> Response:
    asked = read_filters(request.query_params)
    # Newest first by when it happened (the index on `at`); the id settles rows of one moment.
    query = (
        select(AuditEvent)
        .where(*asked.where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE + 1)
    )
    async with gateway.sessionmaker() as db, db.begin():
        if asked.before is not None:
            # The next page starts after the last row shown: older, or as old with a smaller id.
            last = (
                await db.execute(select(AuditEvent.at).where(AuditEvent.id == asked.before))
            ).scalar_one_or_none()
            if last is None:
                asked.refused.append("console.audit.bad_page")
            else:
                query = query.where(
                    (AuditEvent.at < last) | ((AuditEvent.at == last) & (AuditEvent.id < asked.before))
                )
        rows = list((await db.execute(query)).scalars())
        recent = select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(RECENT_ACTIONS).subquery()
        actions = sorted((await db.execute(select(recent.c.action).distinct())).scalars())
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        record_by(db, person, "audit.read", asked.describe(), len(rows))
    shown = [
        {
            "when": row.at.astimezone(UTC).strftime("%d/%m/%Y %H:%M:%S"),
            "actor": mask_in_text(row.actor),
            "role": row.role,
            "action": row.action,
            "detail": mask_in_text(row.detail or ""),
            "rows": row.rows,
        }
        for row in rows
    ]
    context = {
        "rows": shown,
        "asked": asked,
        "actions": actions,
        "next_query": asked.query(before=str(rows[-1].id)) if more else None,
        "first_query": asked.query() if asked.before is not None else None,
    }
    status = 400 if asked.refused else 200
    return page(request, gateway, state, "audit.html", context, status, person=person)
