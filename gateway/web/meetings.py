"""Meetings in the console: the list (coming ones first), a form to make one, and from each the way
to its notice. Made by the service the API uses (broadcasts.meetings.create_meeting); organisers
only, every creation in the audit log."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from gateway.accounts.people import Person
from gateway.audit.service import record_by
from gateway.broadcasts.errors import BroadcastError
from gateway.broadcasts.meetings import create_meeting
from gateway.broadcasts.models import Broadcast, Meeting
from gateway.broadcasts.service import MAX_TEXT
from gateway.db.base import utcnow
from gateway.http.deps import GatewayDep
from gateway.i18n.dates import time_zone
from gateway.i18n.languages import CODES
from gateway.web.auth import ConsoleState, OrganiserOnly, State, console_router, page
from gateway.web.broadcasts import Problem, area_choices, meeting_title, text_field
from gateway.web.fields import whole_number
from gateway.web.pages import redirect
from gateway.wiring import Gateway

router = console_router()
# Where the forum's meetings are held; a meeting's hour is read as a clock there.
TIMEZONES = ("Africa/Bamako", "Africa/Ouagadougou")
PAST_SHOWN = 20
MAX_PLACE = 160


def _problem(exc: BroadcastError) -> Problem:
    text = str(exc)
    if exc.field == "title":
        return Problem(
            "console.meetings.error.title_long" if "characters" in text else "console.meetings.error.title"
        )
    if exc.field == "agenda":
        return Problem("console.meetings.error.agenda_long")
    if exc.field == "starts_at":
        return Problem("console.meetings.error.past")
    if exc.field == "timezone":
        return Problem("console.meetings.error.timezone")
    if exc.field == "areas":
        return Problem("console.meetings.error.area")
    return Problem("console.meetings.error.place")


def _read(form: FormData, area_ids: set[int]) -> tuple[dict[str, str], list[Problem], dict[str, Any]]:
    """(the form as typed, what is wrong with it, the arguments of create_meeting)."""
    values = {name: text_field(form, name, 40) for name in ("date", "time", "timezone", "area")}
    values["place"] = text_field(form, "place", MAX_PLACE + 1)
    for lang in CODES:
        values[f"title_{lang}"] = text_field(form, f"title_{lang}", 2 * MAX_TEXT)
        values[f"agenda_{lang}"] = text_field(form, f"agenda_{lang}", 2 * MAX_TEXT)
    problems = []
    titles = {lang: values[f"title_{lang}"] for lang in CODES if values[f"title_{lang}"]}
    agenda = {lang: values[f"agenda_{lang}"] for lang in CODES if values[f"agenda_{lang}"]}
    if not titles:
        problems.append(Problem("console.meetings.error.title"))
    for name, texts in (("title", titles), ("agenda", agenda)):
        for lang, text in texts.items():
            if len(" ".join(text.split())) > MAX_TEXT:
                problems.append(
                    Problem(
                        f"console.meetings.error.{name}_long",
                        {"language": f"language.{lang}", "max": MAX_TEXT},
                    )
                )
    if not values["place"]:
        problems.append(Problem("console.meetings.error.place"))
    elif len(values["place"]) > MAX_PLACE:
        problems.append(Problem("console.meetings.error.place_long", {"max": MAX_PLACE}))
    starts: datetime | None = None
    try:
        day = date.fromisoformat(values["date"])
        clock = time.fromisoformat(values["time"])
        if not 2000 <= day.year < 2100:
            raise ValueError
        starts = datetime.combine(day, clock.replace(second=0, microsecond=0, tzinfo=None))
    except ValueError:
        problems.append(Problem("console.meetings.error.when"))
    if values["timezone"] not in TIMEZONES:
        values["timezone"] = TIMEZONES[0]
        problems.append(Problem("console.meetings.error.timezone"))
    area = values["area"]
    area_id = whole_number(area)
    if area and area_id not in area_ids:
        problems.append(Problem("console.meetings.error.area"))
    elif starts is not None and starts.replace(tzinfo=time_zone(values["timezone"])) <= utcnow():
        problems.append(Problem("console.meetings.error.past"))
    arguments = {
        "title": titles,
        "agenda": agenda,
        "place": values["place"],
        "area": area_id,
        "starts_at": starts,
        "timezone": values["timezone"],
    }
    return values, problems, arguments


async def _meetings(db: AsyncSession, gateway: Gateway) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    now = utcnow()
    directory = await gateway.directory.get(db)
    coming = list(
        (
            await db.execute(select(Meeting).where(Meeting.starts_at > now).order_by(Meeting.starts_at))
        ).scalars()
    )
    past = list(
        (
            await db.execute(
                select(Meeting)
                .where(Meeting.starts_at <= now)
                .order_by(Meeting.starts_at.desc())
                .limit(PAST_SHOWN)
            )
        ).scalars()
    )
    ids = [m.id for m in coming + past]
    notices: dict[int, list[tuple[int, str]]] = {}
    for bid, mid, status in await db.execute(
        select(Broadcast.id, Broadcast.meeting_id, Broadcast.status)
        .where(Broadcast.meeting_id.in_(ids or [-1]), Broadcast.kind == "notice")
        .order_by(Broadcast.id)
    ):
        if mid is not None:
            notices.setdefault(mid, []).append((bid, status))

    def row(m: Meeting) -> dict[str, Any]:
        place = directory.get(m.area_id)
        local = m.starts_at.astimezone(time_zone(m.timezone)) if m.timezone in TIMEZONES else m.starts_at
        return {
            "m": m,
            "title": meeting_title(m.title),
            "when": local.strftime("%d/%m/%Y %H:%M"),
            "languages": [lang for lang in CODES if m.title.get(lang)],
            "area": place.name if place else "",
            "notices": notices.get(m.id, []),
        }

    return [row(m) for m in coming], [row(m) for m in past]


async def _page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    values: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    status_code: int = 200,
) -> Response:
    async with gateway.sessionmaker() as db:
        coming, past = await _meetings(db, gateway)
        groups = area_choices(await gateway.directory.get(db))
    context = {
        "coming": coming,
        "past": past,
        "groups": groups,
        "values": values or {"timezone": TIMEZONES[0]},
        "problems": problems or [],
        "languages": CODES,
        "timezones": TIMEZONES,
        "max_text": MAX_TEXT,
        "notice": "console.meetings.done" if text_field(request.query_params, "done", 9) == "1" else None,
    }
    return page(request, gateway, state, "meetings.html", context, status_code, person=person)


@router.get("/meetings")
async def meetings_page(
    request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly
) -> Response:
    return await _page(request, gateway, state, person)


@router.post("/meetings")
async def add_meeting(request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly) -> Response:
    form = await request.form()
    async with gateway.sessionmaker() as db:
        directory = await gateway.directory.get(db)
    values, problems, arguments = _read(form, set(directory.places))
    if problems:
        return await _page(request, gateway, state, person, values, problems, 422)
    try:
        async with gateway.sessionmaker() as db, db.begin():
            meeting = await create_meeting(db, **arguments)
            record_by(db, person, "meetings.create", f"meeting {meeting.id}", 1)
    except BroadcastError as exc:
        return await _page(request, gateway, state, person, values, [_problem(exc)], 422)
    return redirect(request, "/meetings?done=1")
