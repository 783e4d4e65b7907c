"""Meetings in the console: the list (coming ones first), a form to make one, a meeting's page with
its form to change it and its deletion (after a confirmation), and from each the way to its notice.

Made, changed and deleted by the services the API uses (broadcasts.meetings: `create_meeting`,
`edit_meeting` and `discard_meeting` lock the row and write the audit entry); organisers only, a
viewer reads, a committee member gets the 403 page. Once a notice has begun going out the meeting
is fixed, and the page says so. A creation form carries a one-time key: sent twice, it makes one
meeting."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from gateway.accounts.people import Person
from gateway.broadcasts.errors import BroadcastError, Refused
from gateway.broadcasts.idempotency import form_key, read_form_key, request_digest
from gateway.broadcasts.meetings import create_meeting, discard_meeting, edit_meeting, meeting_state
from gateway.broadcasts.models import Broadcast, Meeting
from gateway.broadcasts.service import MAX_TEXT
from gateway.db.base import utcnow
from gateway.http.deps import GatewayDep
from gateway.i18n.dates import time_zone
from gateway.i18n.languages import CODES
from gateway.web.auth import ConsoleState, OrganiserOnly, State, console_router, message_page, page
from gateway.web.broadcasts import (
    FORM_KEY,
    Problem,
    Reader,
    area_choices,
    meeting_title,
    save_once,
    text_field,
)
from gateway.web.fields import whole_number
from gateway.web.pages import redirect
from gateway.wiring import Gateway

router = console_router()
# Where the forum's meetings are held; a meeting's hour is read as a clock there.
TIMEZONES = ("Africa/Bamako", "Africa/Ouagadougou")
PAST_SHOWN = 20
MAX_PLACE = 160
NOTICES = {"1": "console.meetings.done", "updated": "console.meetings.updated"}


def _problem(exc: BroadcastError) -> Problem:
    if exc.field == "title":
        return Problem(
            "console.meetings.error.title_long" if exc.code == "long" else "console.meetings.error.title"
        )
    if exc.field == "agenda":
        return Problem("console.meetings.error.agenda_long")
    if exc.field == "starts_at":
        if exc.code == "notice_after":  # the notice to cancel or move first
            return Problem("console.meetings.error.notice_after", dict(exc.values))
        return Problem("console.meetings.error.past")
    if exc.field == "timezone":
        return Problem("console.meetings.error.timezone")
    if exc.field == "areas":
        return Problem("console.meetings.error.area")
    return Problem("console.meetings.error.place")


def _local(meeting: Meeting) -> datetime:
    try:
        return meeting.starts_at.astimezone(time_zone(meeting.timezone))
    except ValueError:  # a zone that no longer exists: its moment, in GMT
        return meeting.starts_at


def _when(meeting: Meeting) -> str:
    return _local(meeting).strftime("%d/%m/%Y %H:%M")


def _read(
    form: FormData, area_ids: set[int], zones: tuple[str, ...], current: datetime | None = None
) -> tuple[dict[str, str], list[Problem], dict[str, Any]]:
    """(the form as typed, what is wrong with it, the arguments of create_meeting). `current`: the
    start of the meeting being changed, which may stay as it is even once past."""
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
    if values["timezone"] not in zones:
        values["timezone"] = zones[0]
        problems.append(Problem("console.meetings.error.timezone"))
    area = values["area"]
    area_id = whole_number(area)
    moment = starts.replace(tzinfo=time_zone(values["timezone"])) if starts is not None else None
    if area and area_id not in area_ids:
        problems.append(Problem("console.meetings.error.area"))
    elif moment is not None and moment != current and moment <= utcnow():
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
    notices = await _notices(db, [m.id for m in coming + past])

    def row(m: Meeting) -> dict[str, Any]:
        place = directory.get(m.area_id)
        return {
            "m": m,
            "title": meeting_title(m.title),
            "when": _when(m),
            "languages": [lang for lang in CODES if m.title.get(lang)],
            "area": place.name if place else "",
            "notices": notices.get(m.id, []),
        }

    return [row(m) for m in coming], [row(m) for m in past]


async def _notices(db: AsyncSession, meeting_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Each meeting's notices: (broadcast id, status)."""
    notices: dict[int, list[tuple[int, str]]] = {}
    for bid, mid, status in await db.execute(
        select(Broadcast.id, Broadcast.meeting_id, Broadcast.status)
        .where(Broadcast.meeting_id.in_(meeting_ids or [-1]), Broadcast.kind == "notice")
        .order_by(Broadcast.id)
    ):
        if mid is not None:
            notices.setdefault(mid, []).append((bid, status))
    return notices


def _may_act(person: Person) -> bool:
    return person.role == "organiser"


async def _page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    values: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    status_code: int = 200,
    key: str | None = None,
) -> Response:
    async with gateway.sessionmaker() as db:
        coming, past = await _meetings(db, gateway)
        groups = area_choices(await gateway.directory.get(db))
    done = text_field(request.query_params, "done", 9)
    deleted = whole_number(text_field(request.query_params, "broadcasts", 9)) if done == "deleted" else None
    context = {
        "coming": coming,
        "past": past,
        "groups": groups,
        "values": values or {"timezone": TIMEZONES[0]},
        "problems": problems or [],
        "languages": CODES,
        "timezones": TIMEZONES,
        "max_text": MAX_TEXT,
        "may_act": _may_act(person),
        "form_key": key or form_key(),
        "notice": NOTICES.get(done),
        "deleted": deleted,
    }
    return page(request, gateway, state, "meetings.html", context, status_code, person=person)


@router.get("/meetings")
async def meetings_page(request: Request, gateway: GatewayDep, state: State, person: Reader) -> Response:
    return await _page(request, gateway, state, person)


@router.post("/meetings")
async def add_meeting(request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly) -> Response:
    form = await request.form()
    key = read_form_key(form.get(FORM_KEY))
    async with gateway.sessionmaker() as db:
        directory = await gateway.directory.get(db)
    values, problems, arguments = _read(form, set(directory.places), TIMEZONES)
    if problems:
        return await _page(request, gateway, state, person, values, problems, 422, key)

    async def make(db: AsyncSession) -> Meeting:
        return await create_meeting(db, **arguments, by=person)

    try:
        _, verdict = await save_once(gateway, Meeting, person, key, request_digest(arguments), make)
    except BroadcastError as exc:
        return await _page(request, gateway, state, person, values, [_problem(exc)], 422, key)
    if verdict == "changed":
        # This form made a meeting already, from other words: said, with a new key to make another.
        problem = Problem("console.meetings.error.already_saved")
        return await _page(request, gateway, state, person, values, [problem], 409)
    return redirect(request, "/meetings?done=1")


# -- a meeting's page: changed or deleted ---------------------------------------------------------


def _form_values(meeting: Meeting) -> dict[str, str]:
    """The meeting as its form shows it: the date and hour on its own clock."""
    local = _local(meeting)
    values = {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "timezone": meeting.timezone,
        "place": meeting.place,
        "area": str(meeting.area_id) if meeting.area_id is not None else "",
    }
    for lang in CODES:
        values[f"title_{lang}"] = str(meeting.title.get(lang) or "")
        values[f"agenda_{lang}"] = str(meeting.agenda.get(lang) or "")
    return values


def _zones(meeting: Meeting) -> tuple[str, ...]:
    # A meeting made through the API may be on another clock: it keeps it unless changed.
    if meeting.timezone in TIMEZONES:
        return TIMEZONES
    try:
        time_zone(meeting.timezone)
    except ValueError:
        return TIMEZONES
    return (*TIMEZONES, meeting.timezone)


async def _meeting_page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    meeting_id: int,
    values: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    status_code: int = 200,
) -> Response:
    async with gateway.sessionmaker() as db:
        meeting = await db.get(Meeting, meeting_id)
        if meeting is None:
            return _missing(request, gateway, state, person)
        directory = await gateway.directory.get(db)
        broadcasts, fixed = await meeting_state(db, meeting.id)
        notices = (await _notices(db, [meeting.id])).get(meeting.id, [])
    place = directory.get(meeting.area_id)
    context = {
        "m": meeting,
        "title": meeting_title(meeting.title),
        "when": _when(meeting),
        "area": place.name if place else "",
        "notices": notices,
        "broadcasts": broadcasts,
        "fixed": fixed,
        "coming": meeting.starts_at > utcnow(),
        "may_act": _may_act(person),
        "groups": area_choices(directory),
        "values": values or _form_values(meeting),
        "problems": problems or [],
        "languages": CODES,
        "timezones": _zones(meeting),
        "named_timezones": TIMEZONES,
        "max_text": MAX_TEXT,
        "notice": NOTICES.get(text_field(request.query_params, "done", 9)),
    }
    return page(request, gateway, state, "meeting.html", context, status_code, person=person)


def _missing(request: Request, gateway: Gateway, state: ConsoleState, person: Person) -> Response:
    return message_page(request, gateway, state, person, "meetings", "console.meetings.missing", 404)


@router.get("/meetings/{meeting_id}")
async def meeting_page(
    meeting_id: str, request: Request, gateway: GatewayDep, state: State, person: Reader
) -> Response:
    found = whole_number(meeting_id)
    if found is None:
        return _missing(request, gateway, state, person)
    return await _meeting_page(request, gateway, state, person, found)


@router.post("/meetings/{meeting_id}")
async def change_meeting(
    meeting_id: str, request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly
) -> Response:
    found = whole_number(meeting_id)
    async with gateway.sessionmaker() as db:
        meeting = await db.get(Meeting, found) if found is not None else None
        directory = await gateway.directory.get(db)
    if found is None or meeting is None:
        return _missing(request, gateway, state, person)
    values, problems, arguments = _read(
        await request.form(), set(directory.places), _zones(meeting), meeting.starts_at
    )
    if problems:
        return await _meeting_page(request, gateway, state, person, found, values, problems, 422)
    starts = arguments["starts_at"].replace(tzinfo=time_zone(arguments["timezone"]))
    try:
        async with gateway.sessionmaker() as db, db.begin():
            edited = await edit_meeting(
                db,
                found,
                by=person,
                **{**arguments, "starts_at": None if starts == meeting.starts_at else starts},
            )
    except BroadcastError as exc:
        return await _meeting_page(request, gateway, state, person, found, values, [_problem(exc)], 422)
    except Refused:
        problem = Problem("console.meetings.error.sent")
        return await _meeting_page(request, gateway, state, person, found, values, [problem], 409)
    if edited is None:  # deleted meanwhile
        return _missing(request, gateway, state, person)
    return redirect(request, f"/meetings/{found}?done=updated")


@router.post("/meetings/{meeting_id}/delete")
async def remove_meeting(
    meeting_id: str, request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly
) -> Response:
    found = whole_number(meeting_id)
    if found is None:
        return _missing(request, gateway, state, person)
    form = await request.form()
    if text_field(form, "confirm", 9) != "1":
        problem = Problem("console.meetings.error.confirm")
        return await _meeting_page(request, gateway, state, person, found, None, [problem], 422)
    try:
        async with gateway.sessionmaker() as db, db.begin():
            broadcasts = await discard_meeting(db, found, by=person)
    except Refused:
        problem = Problem("console.meetings.error.sent")
        return await _meeting_page(request, gateway, state, person, found, None, [problem], 409)
    if broadcasts is None:
        return _missing(request, gateway, state, person)
    return redirect(request, f"/meetings?done=deleted&broadcasts={broadcasts}")
