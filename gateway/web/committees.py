"""The console's committees: `/committees` (the list; organisers create one at `/committees/new`)
and `/committees/{id}` (its areas, its members, what they receive, and the summary they would get
now). A committee member reads their own committee only; a viewer reads every one. Organisers
rename a committee or change its areas at `/committees/{id}/edit`, and change a member's language
or number at `/committees/{id}/members/{member_id}/edit`.

Every change goes through gateway/committees/service.py, as the API's do, and is in the audit log;
so is every read of a committee's page, which names its members. Phone numbers are shown masked as
the API masks them; a number typed in the form is never shown again once saved. Addresses and
forms are read by hand, never by FastAPI's validation: bad input is said in French on the form,
never a JSON error or a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.people import Person
from gateway.areas.directory import AreaDirectory
from gateway.areas.importer import LEVEL_COMMUNE
from gateway.areas.models import Area
from gateway.audit.service import record_by
from gateway.committees.models import Committee, CommitteeArea, CommitteeMember
from gateway.committees.schedule import WEEKDAYS, ScheduleError
from gateway.committees.scheduler import period_start
from gateway.committees.service import (
    NAME_MAX,
    CommitteeError,
    MemberChange,
    NewMember,
    add_member,
    areas_picked,
    change_committee,
    change_member,
    committee_areas,
    committee_for_update,
    committee_member,
    committee_members,
    create_committee_over,
    masked_number,
    remove_member,
    set_member_wishes,
)
from gateway.http.deps import GatewayDep
from gateway.i18n.languages import CODES
from gateway.outbox.service import sms_text
from gateway.web.auth import (
    ConsoleState,
    Now,
    OrganiserOnly,
    RoleRefused,
    SignedIn,
    State,
    console_router,
    message_page,
    page,
)
from gateway.web.committee_forms import (
    PHONE_MAX,
    ROLE_MAX,
    TIME_ZONES,
    Refusal,
    areas_from,
    committee_form,
    holds_number,
    local_time,
    member_change_form,
    member_form,
    schedule_from,
    schedule_said,
    service_refusal,
    text_field,
    ticked,
)
from gateway.web.fields import whole_number
from gateway.web.pages import redirect
from gateway.wiring import Gateway

router = console_router()
NOTICES = {
    "created": "console.committees.done.created",
    "added": "console.committees.page.done.added",
    "wishes": "console.committees.page.done.wishes",
    "removed": "console.committees.page.done.removed",
    "changed": "console.committees.page.done.changed",
    "member_changed": "console.committees.page.done.member_changed",
}


def _missing(request: Request, gateway: Gateway, state: ConsoleState, person: Person) -> Response:
    return message_page(request, gateway, state, person, "committees", "console.committees.missing", 404)


def _reaches(person: Person, committee_id: int) -> None:
    """A committee member's pages are their own committee's; any other is refused (403)."""
    if not person.sees_committee(committee_id):
        raise RoleRefused()


# ----- the list and the new committee's form ----------------------------------------------------


def _parent(directory: AreaDirectory, area: Area) -> str:
    """A commune's cercle/province, which tells two communes of one name apart."""
    parent = directory.get(area.parent_id) if area.level == LEVEL_COMMUNE else None
    return parent.name if parent else ""


@router.get("/committees")
async def committees(request: Request, gateway: GatewayDep, state: State, person: SignedIn) -> Response:
    if person.role == "committee":
        # Their committee is the only one they may see: straight to it.
        if person.committee_id is None:
            raise RoleRefused()
        return redirect(request, f"/committees/{person.committee_id}")
    async with gateway.sessionmaker() as db:
        directory = await gateway.directory.get(db)
        rows = list((await db.execute(select(Committee).order_by(Committee.name))).scalars())
        counts = dict(
            (
                await db.execute(
                    select(CommitteeMember.committee_id, func.count()).group_by(CommitteeMember.committee_id)
                )
            ).all()
        )
        areas: dict[int, list[dict[str, str]]] = {}
        covered = await db.execute(
            select(CommitteeArea.committee_id, Area).join(Area, Area.id == CommitteeArea.area_id)
        )
        for committee_id, area in covered:
            shown = {"name": area.name, "parent": _parent(directory, area), "kind": area.kind}
            areas.setdefault(committee_id, []).append(shown)
    listed = [
        {
            "id": c.id,
            "name": c.name,
            "areas": sorted(areas.get(c.id, []), key=lambda a: a["name"].casefold()),
            "members": counts.get(c.id, 0),
            "schedule": schedule_said(c.schedule, c.timezone),
            "next": local_time(c.next_digest_at, c.timezone),
        }
        for c in rows
    ]
    context = {"committees": listed, "notice": NOTICES.get(request.query_params.get("done", ""))}
    return page(request, gateway, state, "committees.html", context, person=person)


def _provinces(directory: AreaDirectory) -> list[dict[str, Any]]:
    """Each cercle/province with its communes, country by country: the form's check boxes."""
    out = []
    for country in directory.countries():
        for province in directory.provinces(country):
            communes = [c for c in directory.communes(province.id) if c.level == LEVEL_COMMUNE]
            out.append({"place": province, "country": country, "communes": communes})
    return out


async def _new_page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    *,
    form: dict[str, Any] | None = None,
    refusal: Refusal | None = None,
) -> Response:
    async with gateway.sessionmaker() as db:
        directory = await gateway.directory.get(db)
    context = {
        "provinces": _provinces(directory),
        "form": form
        or {
            "frequency": "weekly",
            "weekday": "mon",
            "time": "08:00",
            "timezone": TIME_ZONES[0],
            "areas": set(),
        },
        "refusal": refusal,
        "weekdays": WEEKDAYS,
        "time_zones": TIME_ZONES,
        "name_max": NAME_MAX,
    }
    status = 422 if refusal else 200
    return page(request, gateway, state, "committee_new.html", context, status, person=person)


@router.get("/committees/new")
async def new_committee(
    request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly
) -> Response:
    return await _new_page(request, gateway, state, person)


@router.post("/committees")
async def create(request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly) -> Response:
    raw = await request.form()
    form: dict[str, Any] = {
        "name": text_field(raw, "name", NAME_MAX + 1),
        "frequency": text_field(raw, "frequency", 10),
        "weekday": text_field(raw, "weekday", 10),
        "time": text_field(raw, "time", 10),
        "timezone": text_field(raw, "timezone", 64),
    }
    form["areas"], areas_refused = areas_from(raw)
    schedule, refusal = schedule_from(form)
    refusal = refusal or areas_refused
    if refusal is None and holds_number(form["name"]):
        refusal = Refusal("console.committees.error.name_phone", "name")
    if refusal is not None:
        return await _new_page(request, gateway, state, person, form=form, refusal=refusal)
    try:
        async with gateway.sessionmaker() as db, db.begin():
            committee = await create_committee_over(
                db, form["name"], sorted(form["areas"]), schedule, form["timezone"]
            )
            detail = f"committee {committee.id}: {committee.name}; areas {sorted(form['areas'])}; {schedule} {form['timezone']}"
            record_by(db, person, "committees.create", detail, 1)
            target = committee.id
    except CommitteeError as exc:
        refusal = service_refusal(exc, "areas")
        return await _new_page(request, gateway, state, person, form=form, refusal=refusal)
    except IntegrityError:  # the same name saved by another organiser between the check and the insert
        refusal = Refusal("console.committees.error.name_taken", "name")
        return await _new_page(request, gateway, state, person, form=form, refusal=refusal)
    except ScheduleError:  # the fields above make only schedules the service takes; kept for safety
        return await _new_page(
            request,
            gateway,
            state,
            person,
            form=form,
            refusal=Refusal("console.committees.error.time", "time"),
        )
    return redirect(request, f"/committees/{target}?done=created")


# ----- one committee ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """The summary one language's members would receive now, as sent (GSM-7 spelling applied)."""

    language: str
    members: int
    body: str
    encoding: str
    characters: int
    segments: int


async def _preview(
    db: AsyncSession, gateway: Gateway, committee: Committee, members: list[CommitteeMember], now: datetime
) -> tuple[list[Preview], datetime]:
    """Rendered by the scheduler itself (summary_of, then render_summary per language), nothing
    written: with no member taking summaries yet, the French text still shows what it holds."""
    readers: dict[str, int] = {}
    for member in members:
        if member.receives_summaries:
            readers[member.language] = readers.get(member.language, 0) + 1
    languages = sorted(readers) or ["fr"]
    texts = await gateway.scheduler.summarise(db, committee, now, send=False, languages=languages)
    out = []
    for language in languages:
        sent = sms_text(texts[language], language, gateway.settings.sms_gsm7)
        out.append(
            Preview(
                language, readers.get(language, 0), sent.body, sent.encoding, len(sent.body), sent.segments
            )
        )
    return out, period_start(committee, now)


async def _committee_page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    now: datetime,
    committee_id: int,
    *,
    form: dict[str, Any] | None = None,
    refusal: Refusal | None = None,
) -> Response:
    _reaches(person, committee_id)
    async with gateway.sessionmaker() as db, db.begin():
        committee = await db.get(Committee, committee_id)
        if committee is None:
            return _missing(request, gateway, state, person)
        directory = await gateway.directory.get(db)
        areas = await committee_areas(db, committee.id)
        members = await committee_members(db, committee.id)
        try:
            previews, start = await _preview(db, gateway, committee, members, now)
        except ScheduleError:  # a schedule stored before a rule changed: the page still shows
            previews, start = [], now
        # The page names the members and shows their numbers masked: a read of personal data.
        record_by(db, person, "committees.read", f"committee {committee.id}", len(members))
        shown = [
            {
                "id": m.id,
                "name": m.name,
                "role": m.role,
                "language": m.language,
                "phone": masked_number(gateway.vault, m),
                "summaries": m.receives_summaries,
                "alerts": m.receives_alerts,
            }
            for m in members
        ]
        area_rows = [{"name": a.name, "kind": a.kind, "parent": _parent(directory, a)} for a in areas]
        context = {
            "committee": committee,
            "areas": area_rows,
            "members": shown,
            "schedule_said": schedule_said(committee.schedule, committee.timezone),
            "next": local_time(committee.next_digest_at, committee.timezone),
            "last": local_time(committee.last_digest_until, committee.timezone),
            "previews": previews,
            "period": (local_time(start, committee.timezone), local_time(now, committee.timezone)),
            "may_change": person.role == "organiser",
            "languages": CODES,
            "form": form or {"language": "fr", "summaries": True, "alerts": True},
            "refusal": refusal,
            "notice": NOTICES.get(request.query_params.get("done", "")),
            "name_max": NAME_MAX,
            "role_max": ROLE_MAX,
            "phone_max": PHONE_MAX,
        }
    status = 422 if refusal else 200
    return page(request, gateway, state, "committee.html", context, status, person=person)


@router.get("/committees/{committee_id}")
async def committee_page(
    committee_id: str, request: Request, gateway: GatewayDep, state: State, person: SignedIn, now: Now
) -> Response:
    found = whole_number(committee_id)
    if found is None:
        return _missing(request, gateway, state, person)
    return await _committee_page(request, gateway, state, person, now, found)


@router.post("/committees/{committee_id}/members")
async def add(
    committee_id: str, request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly, now: Now
) -> Response:
    found = whole_number(committee_id)
    if found is None:
        return _missing(request, gateway, state, person)
    form, refusal = member_form(await request.form(), gateway.settings.default_region)
    if refusal is not None:
        return await _committee_page(request, gateway, state, person, now, found, form=form, refusal=refusal)
    try:
        async with gateway.sessionmaker() as db, db.begin():
            committee = await db.get(Committee, found)
            if committee is None:
                return _missing(request, gateway, state, person)
            wanted = NewMember(
                form["name"], form["phone"], form["language"], form["role"], form["summaries"], form["alerts"]
            )
            member = await add_member(db, gateway.vault, committee, wanted, gateway.settings.default_region)
            await db.flush()
            record_by(
                db, person, "committees.member_add", f"committee {committee.id}: member #{member.id}", 1
            )
    except IntegrityError:  # the same number added by another organiser between the check and the insert
        refusal = Refusal("console.committees.page.error.phone_taken", "phone")
        return await _committee_page(request, gateway, state, person, now, found, form=form, refusal=refusal)
    except CommitteeError as exc:
        refusal = service_refusal(exc, "phone")
        refusal.values["max"] = NAME_MAX if exc.field == "name" else ROLE_MAX
        return await _committee_page(request, gateway, state, person, now, found, form=form, refusal=refusal)
    # Back to the page with an empty form: the number just saved is never written into a page again.
    return redirect(request, f"/committees/{found}?done=added#members")


async def _member_of(db: AsyncSession, committee_id: str, member_id: str) -> CommitteeMember | None:
    committee, member = whole_number(committee_id), whole_number(member_id)
    if committee is None or member is None:
        return None
    try:
        return await committee_member(db, committee, member)
    except CommitteeError:
        return None


@router.post("/committees/{committee_id}/members/{member_id}/wishes")
async def wishes(
    committee_id: str,
    member_id: str,
    request: Request,
    gateway: GatewayDep,
    state: State,
    person: OrganiserOnly,
) -> Response:
    raw = await request.form()
    async with gateway.sessionmaker() as db, db.begin():
        member = await _member_of(db, committee_id, member_id)
        if member is None:
            return _missing(request, gateway, state, person)
        await set_member_wishes(
            db, member, summaries=ticked(raw, "summaries"), alerts=ticked(raw, "alerts"), by=person
        )
        target = member.committee_id
    return redirect(request, f"/committees/{target}?done=wishes#members")


@router.get("/committees/{committee_id}/members/{member_id}/remove")
async def confirm_removal(
    committee_id: str,
    member_id: str,
    request: Request,
    gateway: GatewayDep,
    state: State,
    person: OrganiserOnly,
) -> Response:
    async with gateway.sessionmaker() as db:
        member = await _member_of(db, committee_id, member_id)
        if member is None:
            return _missing(request, gateway, state, person)
        committee = await db.get(Committee, member.committee_id)
        context = {
            "committee": committee,
            "member": {"id": member.id, "name": member.name, "phone": masked_number(gateway.vault, member)},
        }
    return page(request, gateway, state, "committee_remove.html", context, person=person)


@router.post("/committees/{committee_id}/members/{member_id}/remove")
async def remove(
    committee_id: str,
    member_id: str,
    request: Request,
    gateway: GatewayDep,
    state: State,
    person: OrganiserOnly,
) -> Response:
    async with gateway.sessionmaker() as db, db.begin():
        member = await _member_of(db, committee_id, member_id)
        if member is None:
            return _missing(request, gateway, state, person)
        target = member.committee_id
        await remove_member(db, member, by=person)
    return redirect(request, f"/committees/{target}?done=removed#members")


# ----- a committee's name and areas, a member's language and number (organisers) ----------------


async def _edit_page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    committee_id: int,
    *,
    form: dict[str, Any] | None = None,
    refusal: Refusal | None = None,
) -> Response:
    async with gateway.sessionmaker() as db:
        committee = await db.get(Committee, committee_id)
        if committee is None:
            return _missing(request, gateway, state, person)
        directory = await gateway.directory.get(db)
        covered = await committee_areas(db, committee.id)
    provinces = _provinces(directory)
    offered = {p["place"].id for p in provinces} | {c.id for p in provinces for c in p["communes"]}
    form = form or {"name": committee.name, "areas": {a.id for a in covered}}
    context = {
        "committee": committee,
        "provinces": provinces,
        # Areas the picker has no box for (a region, an area since retired), shown ticked so that
        # saving the form never drops one unseen.
        "others": [
            {"id": a.id, "name": a.name, "kind": a.kind, "parent": _parent(directory, a)}
            for a in covered
            if a.id not in offered
        ],
        "form": form,
        "refusal": refusal,
        "name_max": NAME_MAX,
    }
    status = 422 if refusal else 200
    return page(request, gateway, state, "committee_edit.html", context, status, person=person)


@router.get("/committees/{committee_id}/edit")
async def edit_committee(
    committee_id: str, request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly
) -> Response:
    found = whole_number(committee_id)
    if found is None:
        return _missing(request, gateway, state, person)
    return await _edit_page(request, gateway, state, person, found)


@router.post("/committees/{committee_id}/edit")
async def save_committee(
    committee_id: str, request: Request, gateway: GatewayDep, state: State, person: OrganiserOnly
) -> Response:
    found = whole_number(committee_id)
    if found is None:
        return _missing(request, gateway, state, person)
    form, refusal = committee_form(await request.form())
    if refusal is not None:
        return await _edit_page(request, gateway, state, person, found, form=form, refusal=refusal)
    try:
        async with gateway.sessionmaker() as db, db.begin():
            committee = await committee_for_update(db, found)
            if committee is None:
                return _missing(request, gateway, state, person)
            areas = areas_picked(db, sorted(form["areas"]))
            await change_committee(db, committee, name=form["name"], areas_of=areas, by=person)
    except CommitteeError as exc:
        refusal = service_refusal(exc, "areas")
        return await _edit_page(request, gateway, state, person, found, form=form, refusal=refusal)
    except IntegrityError:  # the same name saved by another organiser between the check and the write
        refusal = Refusal("console.committees.error.name_taken", "name")
        return await _edit_page(request, gateway, state, person, found, form=form, refusal=refusal)
    return redirect(request, f"/committees/{found}?done=changed")


async def _member_page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    member: CommitteeMember,
    *,
    form: dict[str, Any] | None = None,
    refusal: Refusal | None = None,
) -> Response:
    async with gateway.sessionmaker() as db:
        committee = await db.get(Committee, member.committee_id)
    context = {
        "committee": committee,
        "member": {"id": member.id, "name": member.name, "phone": masked_number(gateway.vault, member)},
        # The number field starts empty: the current number is only ever shown masked.
        "form": form or {"language": member.language, "phone": ""},
        "refusal": refusal,
        "languages": CODES,
        "phone_max": PHONE_MAX,
    }
    status = 422 if refusal else 200
    return page(request, gateway, state, "committee_member_edit.html", context, status, person=person)


@router.get("/committees/{committee_id}/members/{member_id}/edit")
async def edit_member(
    committee_id: str,
    member_id: str,
    request: Request,
    gateway: GatewayDep,
    state: State,
    person: OrganiserOnly,
) -> Response:
    async with gateway.sessionmaker() as db:
        member = await _member_of(db, committee_id, member_id)
    if member is None:
        return _missing(request, gateway, state, person)
    return await _member_page(request, gateway, state, person, member)


@router.post("/committees/{committee_id}/members/{member_id}/edit")
async def save_member(
    committee_id: str,
    member_id: str,
    request: Request,
    gateway: GatewayDep,
    state: State,
    person: OrganiserOnly,
) -> Response:
    async with gateway.sessionmaker() as db:
        member = await _member_of(db, committee_id, member_id)
    if member is None:
        return _missing(request, gateway, state, person)
    form, refusal = member_change_form(await request.form(), gateway.settings.default_region)
    if refusal is None:
        refusal = await _change_member(gateway, person, member, form)
    if refusal is not None:
        return await _member_page(request, gateway, state, person, member, form=form, refusal=refusal)
    # Back to the committee: the number just saved is never written into a page again.
    return redirect(request, f"/committees/{member.committee_id}?done=member_changed#members")


async def _change_member(
    gateway: Gateway, person: Person, member: CommitteeMember, form: dict[str, Any]
) -> Refusal | None:
    change = MemberChange(language=form["language"], phone=form["phone"] or None)
    try:
        async with gateway.sessionmaker() as db, db.begin():
            # Read again in this transaction: it may have been removed since.
            current = await committee_member(db, member.committee_id, member.id)
            await change_member(
                db, gateway.vault, current, change, gateway.settings.default_region, by=person
            )
    except CommitteeError as exc:
        return service_refusal(exc, "phone")
    except IntegrityError:  # the same number given to another member between the check and the write
        return Refusal("console.committees.page.error.phone_taken", "phone")
    return None
