"""Broadcasts in the console: the list with live counts, the composer with its preview, a
broadcast's page, and pause / resume / cancel / schedule.

Every rule is the service's (gateway/broadcasts/): the draft is checked by `new_broadcast`, saved by
`create_broadcast`, moved by `lifecycle.schedule` / `lifecycle.move` on a locked row, previewed by
`preview.preview`, exactly as the API does. Organisers only; a viewer reads the list and a
broadcast's page (no form), a committee member gets the 403 page. Form values are read by hand,
never by FastAPI's validation: a bad one is said on the form, in French, with what was typed kept.

The composer carries a one-time key (broadcasts.idempotency): the same form sent twice — a double
click, the browser's back or refresh — makes one draft, and the second answer is that draft.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, ImmutableMultiDict

from gateway.accounts.people import Person
from gateway.areas.coverage import communes_under
from gateway.areas.directory import AreaDirectory
from gateway.audit.service import record_by
from gateway.broadcasts.errors import BroadcastError, Refused
from gateway.broadcasts.idempotency import (
    Made,
    form_key,
    made_with_form,
    read_form_key,
    remember_form,
    request_digest,
)
from gateway.broadcasts.lifecycle import MOVES, STATUSES, locked_broadcast, move, schedule
from gateway.broadcasts.listing import Filters, area_names, list_broadcasts
from gateway.broadcasts.models import Broadcast, Meeting
from gateway.broadcasts.preview import Preview, Price, preview
from gateway.broadcasts.service import (
    MAX_TEXT,
    broadcast_stats,
    broadcast_totals,
    create_broadcast,
    new_broadcast,
)
from gateway.db.base import utcnow
from gateway.http.deps import GatewayDep
from gateway.i18n.languages import CODES, SOURCE_LANGUAGE
from gateway.security.phone import mask_in_text
from gateway.security.text import strip_controls
from gateway.web.auth import (
    ConsoleState,
    OrganiserOnly,
    State,
    console_router,
    message_page,
    page,
    require_role,
)
from gateway.web.fields import whole_number
from gateway.web.language import console_language
from gateway.web.pages import redirect, texts, translator
from gateway.wiring import Gateway

router = console_router()
PAGE_SIZE = 50
# Viewers read broadcasts (nothing personal is on these pages); committee members do not: a
# broadcast's areas and counts would show them other committees' communes.
Reader = Annotated[Person, Depends(require_role("organiser", "viewer"))]
# Statuses whose counts can still move: the live script asks only about these.
LIVE = ("scheduled", "expanding", "paused", "done")
NOTICES = {
    "created": "console.broadcasts.done.created",
    "schedule": "console.broadcasts.done.schedule",
    "pause": "console.broadcasts.done.pause",
    "resume": "console.broadcasts.done.resume",
    "cancel": "console.broadcasts.done.cancel",
}
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
# The hidden field with the form's one-time key.
FORM_KEY = "form_key"
# What a form sent with its key made: something new, what the same form made before, or (the same
# key with other contents: a form sent back after a change) nothing, and the earlier one is kept.
Verdict = Literal["new", "again", "changed"]


@dataclass(frozen=True)
class Problem:
    """A French message for the form: its id and the values its placeholders take."""

    id: str
    values: dict[str, object] = field(default_factory=dict)

    def say(self, translate: Callable[..., str]) -> str:
        # A value that is itself a message id (a language's or a status's name) is said too.
        values = {
            k: translate(v) if isinstance(v, str) and v.startswith(("language.", "console.")) else v
            for k, v in self.values.items()
        }
        return translate(self.id, **values)


def text_field(form: FormData | ImmutableMultiDict[str, Any], name: str, limit: int = 200) -> str:
    value = form.get(name)
    return strip_controls(value)[:limit].strip() if isinstance(value, str) else ""


def when(moment: datetime | None) -> str:
    # Mali and Burkina Faso keep GMT all year: the console writes times in UTC, said as such.
    return moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M") if moment else ""


def read_moment(raw: str) -> datetime | None:
    """A datetime-local value (2026-12-03T09:30), read as GMT; None when it is not one."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment if EARLIEST <= moment < LATEST else None


def price(gateway: Gateway) -> Price:
    return Price(gateway.settings.sms_price_per_part, gateway.settings.sms_currency)


def area_choices(directory: AreaDirectory) -> list[dict[str, Any]]:
    """Cercles (Mali) and provinces (Burkina Faso), each with its communes, for the pickers."""
    groups = []
    for country in directory.countries():
        for province in directory.provinces(country):
            groups.append(
                {
                    "id": province.id,
                    "name": province.name,
                    "kind": "cercle" if country == "ML" else "province",
                    "communes": [(c.id, c.name) for c in directory.communes(province.id)],
                }
            )
    return groups


def broadcast_problem(exc: BroadcastError) -> Problem:
    """The service's reason (English, for the API) as the console says it."""
    if exc.field == "send_at":
        if exc.code == "past":
            return Problem("console.broadcasts.error.send_at_past")
        if exc.code == "late":
            return Problem("console.broadcasts.error.send_at_late")
        return Problem("console.broadcasts.error.send_at")
    if exc.field == "areas":
        return Problem(
            "console.broadcasts.error.areas"
            if exc.code == "no_area"
            else "console.broadcasts.error.area_unknown"
        )
    if exc.field == "texts":
        return Problem("console.broadcasts.error.text_empty")
    if exc.field == "languages":
        return Problem("console.broadcasts.error.language_unknown", {"code": "?"})
    return Problem("console.broadcasts.error.meeting")


async def save_once(
    gateway: Gateway,
    model: type[Made],
    person: Person,
    key: str | None,
    digest: str,
    make: Callable[[AsyncSession], Awaitable[Made]],
) -> tuple[int, Verdict]:
    """Makes the draft or meeting (`make`, in a transaction of its own) unless this person's form
    with this key made one already; (its id, the verdict). The unique (user_id, idempotency_key)
    decides between two requests racing with one key: the one that loses gets the other's row."""
    try:
        async with gateway.sessionmaker() as db, db.begin():
            if key is not None and (earlier := await made_with_form(db, model, person.user_id, key)):
                return earlier.id, _verdict(earlier, digest)
            made = await make(db)
            if key is not None:
                remember_form(made, person.user_id, key, digest)
                await db.flush()
            return made.id, "new"
    except IntegrityError:
        if key is None:
            raise
        async with gateway.sessionmaker() as db:
            earlier = await made_with_form(db, model, person.user_id, key)
        if earlier is None:
            raise
        return earlier.id, _verdict(earlier, digest)


def _verdict(earlier: Broadcast | Meeting, digest: str) -> Verdict:
    return "again" if earlier.request_digest == digest else "changed"


# -- the list -------------------------------------------------------------------------------------


def summary(broadcast: Broadcast) -> str:
    """A line to know a broadcast by: an announcement's first words (French first)."""
    texts = broadcast.texts or {}
    words = texts.get(SOURCE_LANGUAGE) or next((t for t in texts.values() if t), "")
    return mask_in_text(words[:70] + ("…" if len(words) > 70 else ""))


async def meeting_titles(db: AsyncSession, meeting_ids: set[int]) -> dict[int, str]:
    rows = await db.execute(
        select(Meeting.id, Meeting.title).where(Meeting.id.in_(sorted(meeting_ids) or [-1]))
    )
    return {mid: meeting_title(title) for mid, title in rows}


def meeting_title(title: dict[str, Any]) -> str:
    return str(title.get(SOURCE_LANGUAGE) or next((t for t in title.values() if t), ""))


@router.get("/broadcasts")
async def broadcasts_list(request: Request, gateway: GatewayDep, state: State, person: Reader) -> Response:
    status = text_field(request.query_params, "status", 20)
    raw_offset = text_field(request.query_params, "offset", 20)
    # At most the API's ten million: past that an offset is a typing error, not a page.
    asked_offset = whole_number(raw_offset, 8)
    good_offset = asked_offset is not None and asked_offset <= 10_000_000
    offset = asked_offset if asked_offset is not None and good_offset else 0
    refused = status not in ("", *STATUSES) or (raw_offset != "" and not good_offset)
    if status not in STATUSES:
        status = ""
    async with gateway.sessionmaker() as db:
        directory = await gateway.directory.get(db)
        found = await list_broadcasts(
            db, directory, Filters(status or None), within=None, limit=PAGE_SIZE + 1, offset=offset
        )
        shown = found[:PAGE_SIZE]
        areas = await area_names(db, directory, shown)
        totals = await broadcast_totals(db, [b.id for b in shown])
        titles = await meeting_titles(db, {b.meeting_id for b in shown if b.meeting_id})
    rows = [
        {
            "b": b,
            "areas": ", ".join(areas[b.id]),
            "title": titles.get(b.meeting_id or 0) if b.meeting_id else summary(b),
            "send_at": when(b.send_at),
            "totals": totals[b.id],
            "live": b.status in LIVE,
        }
        for b in shown
    ]
    context = {
        "rows": rows,
        "statuses": STATUSES,
        "status": status,
        "moves": MOVES,
        "may_act": person.role == "organiser",
        "refused": refused,
        "next_offset": offset + PAGE_SIZE if len(found) > PAGE_SIZE else None,
        "notice": NOTICES.get(text_field(request.query_params, "done", 20)),
    }
    return page(request, gateway, state, "broadcasts.html", context, 400 if refused else 200, person=person)


@router.get("/broadcasts/counts")
async def live_counts(request: Request, gateway: GatewayDep, person: Reader) -> Response:
    """The counts the live script puts into the page: {id: {status, recipients, queued, …}}."""
    ids = [n for v in request.query_params.getlist("id")[:PAGE_SIZE] if (n := whole_number(v)) is not None]
    async with gateway.sessionmaker() as db:
        statuses = dict(
            (
                await db.execute(select(Broadcast.id, Broadcast.status).where(Broadcast.id.in_(ids or [-1])))
            ).all()
        )
        totals = await broadcast_totals(db, list(statuses))
    label = texts(translator(gateway, console_language(request)))
    body = {
        str(bid): {
            "status": status,
            "status_label": label(f"console.broadcasts.status.{status}"),
            **vars(totals[bid]),
        }
        for bid, status in statuses.items()
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


# -- the composer ---------------------------------------------------------------------------------


@dataclass
class Draft:
    """The composer's form as typed (to show back) and as understood (to check and save)."""

    values: dict[str, str] = field(default_factory=dict)
    areas: list[int] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # the ticked ones; none: every language
    problems: list[Problem] = field(default_factory=list)
    meeting: Meeting | None = None
    send_at: datetime | None = None
    # The form's one-time key, kept through previews and errors until a draft is made with it.
    key: str = field(default_factory=form_key)

    @property
    def kind(self) -> str:
        return self.values.get("kind", "notice")

    @property
    def texts(self) -> dict[str, str]:
        return {lang: self.values.get(f"text_{lang}", "") for lang in CODES}


async def read_draft(db: AsyncSession, directory: AreaDirectory, form: FormData) -> Draft:
    draft = Draft()
    draft.key = read_form_key(form.get(FORM_KEY)) or draft.key
    for name in ("kind", "meeting", "send_at", "french_fallback"):
        draft.values[name] = text_field(form, name, 40)
    for lang in CODES:
        # Kept as typed (within reason), so that nothing is lost when the form comes back.
        draft.values[f"text_{lang}"] = text_field(form, f"text_{lang}", 2 * MAX_TEXT)
    if draft.kind not in ("notice", "announcement"):
        draft.values["kind"] = "notice"
        draft.problems.append(Problem("console.broadcasts.error.kind"))
    for raw in form.getlist("area")[:500]:
        raw = raw if isinstance(raw, str) else ""
        area = whole_number(raw)
        if area is None or directory.get(area) is None:
            draft.problems.append(Problem("console.broadcasts.error.area_unknown"))
            continue
        if area not in draft.areas:
            draft.areas.append(area)
    if not draft.areas:
        draft.problems.append(Problem("console.broadcasts.error.areas"))
    for raw in form.getlist("language")[:20]:
        code = raw if isinstance(raw, str) else ""
        if code not in CODES:
            # Only letters, digits and dashes of what was sent are said back: a dotted value would
            # be taken by Problem.say for a message id.
            shown = "".join(c for c in code if c.isascii() and (c.isalnum() or c == "-"))[:12]
            draft.problems.append(
                Problem("console.broadcasts.error.language_unknown", {"code": shown or "?"})
            )
        elif code not in draft.languages:
            draft.languages.append(code)
    raw_meeting = draft.values["meeting"]
    if draft.kind == "notice":
        meeting_id = whole_number(raw_meeting)
        if meeting_id is not None:
            draft.meeting = await db.get(Meeting, meeting_id)
        if draft.meeting is None:
            draft.problems.append(Problem("console.broadcasts.error.meeting"))
    else:
        for lang, text in draft.texts.items():
            length = len(" ".join(text.split()))
            if length > MAX_TEXT:
                draft.problems.append(
                    Problem(
                        "console.broadcasts.error.text_long",
                        {"language": f"language.{lang}", "n": length, "max": MAX_TEXT},
                    )
                )
        if not any(t.strip() for t in draft.texts.values()):
            draft.problems.append(Problem("console.broadcasts.error.text_empty"))
    if draft.values["send_at"]:
        draft.send_at = read_moment(draft.values["send_at"])
        if draft.send_at is None:
            draft.problems.append(Problem("console.broadcasts.error.send_at"))
    return draft


def _draft_arguments(draft: Draft, person: Person | None) -> dict[str, Any]:
    return {
        "kind": draft.kind,
        "areas": draft.areas,
        "send_at": draft.send_at,
        "meeting": draft.meeting,
        # A notice's words are the meeting's: texts typed for an announcement are not kept with it.
        "texts": draft.texts if draft.kind == "announcement" else {},
        "french_fallback": draft.values.get("french_fallback") in ("1", "on"),
        "created_by": person.audit_name if person else "",
        "languages": draft.languages,
    }


def draft_digest(draft: Draft) -> str:
    """What the draft says, so that its form sent again is told from the same form changed."""
    arguments = {**_draft_arguments(draft, None), "meeting": draft.meeting.id if draft.meeting else None}
    return request_digest(arguments)


async def draft_preview(db: AsyncSession, gateway: Gateway, draft: Draft, person: Person) -> Preview | None:
    """The preview of the draft as typed, made by the service's own checks, nothing saved; None
    (and a problem said) when the draft is not one yet."""
    if draft.problems:
        return None
    directory = await gateway.directory.get(db)
    try:
        broadcast, rows = await new_broadcast(db, **_draft_arguments(draft, person))
    except BroadcastError as exc:
        draft.problems.append(broadcast_problem(exc))
        return None
    audience = communes_under(directory, [a.id for a in rows])
    settings = gateway.settings
    return await preview(
        db,
        directory,
        gateway.texts,
        broadcast,
        gsm7=settings.sms_gsm7,
        price=price(gateway),
        audience=audience,
    )


async def upcoming_meetings(db: AsyncSession) -> list[tuple[int, str]]:
    rows = await db.execute(
        select(Meeting.id, Meeting.title, Meeting.starts_at, Meeting.place)
        .where(Meeting.starts_at > utcnow())
        .order_by(Meeting.starts_at)
        .limit(200)
    )
    return [(mid, f"{when(starts)} · {meeting_title(title)} · {place}") for mid, title, starts, place in rows]


async def _composer(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    db: AsyncSession,
    draft: Draft,
    shown: Preview | None,
    status_code: int = 200,
) -> Response:
    directory = await gateway.directory.get(db)
    context = {
        "draft": draft,
        "languages": CODES,
        "meetings": await upcoming_meetings(db),
        "groups": area_choices(directory),
        "max_text": MAX_TEXT,
        **preview_context(shown, draft.problems),
    }
    return page(request, gateway, state, "broadcast_new.html", context, status_code, person=person)


def preview_context(shown: Preview | None, problems: list[Problem]) -> dict[str, Any]:
    if shown is None:
        return {"shown": None, "problems": problems}
    french = [
        line.language
        for line in shown.lines
        if line.language != SOURCE_LANGUAGE and SOURCE_LANGUAGE in line.fallbacks.values()
    ]
    return {
        "shown": shown,
        "problems": problems,
        "french": french,
        "nothing": [line.language for line in shown.lines if line.text is None],
        "cost": shown.price.of(shown.total_parts),
    }


@router.get("/broadcasts/new")
async def composer(request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly) -> Response:
    draft = Draft(values={"kind": "notice"})
    raw = text_field(request.query_params, "meeting", 9)
    async with gateway.sessionmaker() as db:
        meeting_id = whole_number(raw)
        if meeting_id is not None:
            meeting = await db.get(Meeting, meeting_id)
            if meeting is not None:
                draft.values["meeting"] = str(meeting.id)
                if meeting.area_id is not None:
                    draft.areas.append(meeting.area_id)
        if text_field(request.query_params, "kind", 20) == "announcement":
            draft.values["kind"] = "announcement"
        return await _composer(request, gateway, state, person, db, draft, None)


@router.post("/broadcasts/new")
async def compose(request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly) -> Response:
    form = await request.form()
    action = text_field(form, "action", 20)
    async with gateway.sessionmaker() as db:
        directory = await gateway.directory.get(db)
        draft = await read_draft(db, directory, form)
        shown = await draft_preview(db, gateway, draft, person)
        if action != "save" or draft.problems:
            return await _composer(
                request, gateway, state, person, db, draft, shown, 422 if draft.problems else 200
            )

    async def make(db: AsyncSession) -> Broadcast:
        meeting = await db.get(Meeting, draft.meeting.id) if draft.meeting else None
        arguments = {**_draft_arguments(draft, person), "meeting": meeting}
        broadcast = await create_broadcast(db, **arguments)
        chosen = ", ".join(broadcast.languages) or "all"
        detail = f"broadcast {broadcast.id} ({broadcast.kind}), languages: {chosen}"
        record_by(db, person, "broadcasts.create", detail, 1)
        return broadcast

    # Read from the form, not made anew: a form without a key (or a forged one) makes its draft
    # as any form did before keys; the composer always sends one.
    key = read_form_key(form.get(FORM_KEY))
    try:
        created, verdict = await save_once(gateway, Broadcast, person, key, draft_digest(draft), make)
    except BroadcastError as exc:  # a meeting deleted meanwhile, a time gone past: said, nothing saved
        draft.problems.append(broadcast_problem(exc))
        async with gateway.sessionmaker() as db:
            return await _composer(request, gateway, state, person, db, draft, None, 422)
    if verdict == "changed":
        # This form made a draft already, from other contents (sent back after a change): said,
        # with a new key, so that saving again is a second draft made on purpose.
        draft.problems.append(Problem("console.broadcasts.error.already_saved", {"id": created}))
        draft.key = form_key()
        async with gateway.sessionmaker() as db:
            return await _composer(request, gateway, state, person, db, draft, shown, 409)
    return redirect(request, f"/broadcasts/{created}?done=created")


@router.post("/broadcasts/preview")
async def preview_fragment(
    request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly
) -> Response:
    """The preview part of the composer, for the script that refreshes it as one types."""
    form = await request.form()
    async with gateway.sessionmaker() as db:
        draft = await read_draft(db, await gateway.directory.get(db), form)
        shown = await draft_preview(db, gateway, draft, person)
    context = {**preview_context(shown, draft.problems), "languages": CODES}
    return page(request, gateway, state, "broadcast_preview.html", context, person=person)


# -- a broadcast's page and its moves -------------------------------------------------------------


async def _broadcast_page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    broadcast_id: int,
    problem: Problem | None = None,
    status_code: int = 200,
    send_at: str = "",
) -> Response:
    async with gateway.sessionmaker() as db:
        broadcast = await db.get(Broadcast, broadcast_id)
        if broadcast is None:
            return _missing(request, gateway, state, person)
        directory = await gateway.directory.get(db)
        shown = await preview(
            db, directory, gateway.texts, broadcast, gsm7=gateway.settings.sms_gsm7, price=price(gateway)
        )
        stats = await broadcast_stats(db, directory, broadcast.id)
        totals = (await broadcast_totals(db, [broadcast.id]))[broadcast.id]
        areas = (await area_names(db, directory, [broadcast]))[broadcast.id]
        meeting = await db.get(Meeting, broadcast.meeting_id) if broadcast.meeting_id else None
        related = list(
            (
                await db.execute(
                    select(Broadcast)
                    .where(
                        (Broadcast.parent_id == broadcast.id) | (Broadcast.id == (broadcast.parent_id or -1))
                    )
                    .order_by(Broadcast.id)
                )
            ).scalars()
        )
    context = {
        "b": broadcast,
        "areas": ", ".join(areas),
        "meeting": meeting,
        "meeting_title": meeting_title(meeting.title) if meeting else "",
        "meeting_when": when(meeting.starts_at) if meeting else "",
        "texts": [(lang, broadcast.texts.get(lang, "")) for lang in CODES],
        "when": when,
        "stats": stats,
        "totals": totals,
        "related": related,
        "live": broadcast.status in LIVE,
        "moves": MOVES,
        "may_act": person.role == "organiser",
        "failure": mask_in_text(broadcast.failure_reason or ""),
        "created_by": mask_in_text(broadcast.created_by or ""),
        "error": problem,
        "send_at": send_at,
        "notice": NOTICES.get(text_field(request.query_params, "done", 20)),
        "languages": CODES,
        **preview_context(shown, []),
    }
    return page(request, gateway, state, "broadcast.html", context, status_code, person=person)


def _missing(request: Request, gateway: Gateway, state: ConsoleState, person: Person) -> Response:
    return message_page(request, gateway, state, person, "broadcasts", "console.broadcasts.missing", 404)


def _id(raw: str) -> int | None:
    return whole_number(raw)


@router.get("/broadcasts/{broadcast_id}")
async def broadcast_page(
    broadcast_id: str, request: Request, gateway: GatewayDep, state: State, person: Reader
) -> Response:
    found = _id(broadcast_id)
    if found is None:
        return _missing(request, gateway, state, person)
    return await _broadcast_page(request, gateway, state, person, found)


@router.post("/broadcasts/{broadcast_id}/{action}")
async def act(
    broadcast_id: str, action: str, request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly
) -> Response:
    found = _id(broadcast_id)
    if found is None or action not in MOVES:
        return _missing(request, gateway, state, person)
    form = await request.form()
    raw_send_at = text_field(form, "send_at", 40)
    send_at = read_moment(raw_send_at) if raw_send_at else None
    if raw_send_at and send_at is None:
        return await _broadcast_page(
            request,
            gateway,
            state,
            person,
            found,
            Problem("console.broadcasts.error.send_at"),
            422,
            raw_send_at,
        )
    back = text_field(form, "back", 20)
    try:
        async with gateway.sessionmaker() as db, db.begin():
            broadcast = await locked_broadcast(db, found)
            if broadcast is None:
                return _missing(request, gateway, state, person)
            before = broadcast.status
            if action == "schedule":
                await schedule(db, broadcast, gateway.texts, send_at)
            else:
                await move(db, broadcast, action)
            record_by(
                db,
                person,
                f"broadcasts.{action}",
                f"broadcast {broadcast.id}: {before} -> {broadcast.status}",
                1,
            )
    except BroadcastError as exc:
        return await _broadcast_page(
            request, gateway, state, person, found, broadcast_problem(exc), 422, raw_send_at
        )
    except Refused as exc:
        async with gateway.sessionmaker() as db:
            now = await db.get(Broadcast, found)
        status = now.status if now else "cancelled"
        problem = (
            Problem("console.broadcasts.error.broken")
            if exc.code == "broken"
            else Problem(
                "console.broadcasts.error.refused", {"status": f"console.broadcasts.status.{status}"}
            )
        )
        return await _broadcast_page(request, gateway, state, person, found, problem, 409)
    target = "/broadcasts" if back == "list" else f"/broadcasts/{found}"
    return redirect(request, f"{target}?done={action}")
