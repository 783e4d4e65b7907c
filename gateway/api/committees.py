"""Admin API: /api/v1/committees — committees, the areas they cover, their members."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.deps import Organiser, Reader
from gateway.api.params import Clean, Id
from gateway.committees.models import Committee, CommitteeMember
from gateway.committees.schedule import ScheduleError
from gateway.committees.service import (
    CommitteeError,
    MemberChange,
    NewMember,
    add_member,
    areas_named,
    change_committee,
    change_member,
    committee_areas,
    committee_for_update,
    committee_member,
    committee_members,
    create_committee,
    masked_number,
)
from gateway.http.deps import GatewayDep
from gateway.i18n.languages import LanguageCode
from gateway.wiring import Gateway

router = APIRouter(prefix="/api/v1/committees", tags=["committees"])


class AreaOut(BaseModel):
    id: int
    name: str
    kind: str
    country: str


class MemberOut(BaseModel):
    id: int
    name: str
    role: str
    phone: Clean = Field(description="Masked: enough to tell two numbers apart, not to call one.")
    language: str
    summaries: bool
    alerts: bool


class CommitteeOut(BaseModel):
    id: int
    name: str
    schedule: str
    timezone: str
    next_digest_at: datetime
    last_digest_until: datetime | None
    areas: list[AreaOut]
    members: list[MemberOut]


AreaNames = list[Annotated[Clean, Field(min_length=1, max_length=160)]]


class CommitteeIn(BaseModel):
    name: Clean = Field(min_length=1, max_length=120)
    areas: AreaNames = Field(
        min_length=1,
        max_length=200,
        description="Names; 'cercle:Kadiolo' or 'Kourouma, Kénédougou' if ambiguous.",
    )
    schedule: Clean = Field(
        default="weekly mon 08:00", max_length=64, examples=["daily 08:00", "weekly mon 08:00"]
    )
    timezone: Clean = Field(default="Africa/Bamako", max_length=64)


class MemberIn(BaseModel):
    name: Clean = Field(min_length=1, max_length=120)
    phone: Clean = Field(min_length=3, max_length=32)
    language: LanguageCode = "fr"
    role: Clean = Field(default="", max_length=64)
    summaries: bool = True
    alerts: bool = True


class CommitteeChange(BaseModel):
    """Only what is sent changes. The areas sent replace the committee's areas."""

    # A misspelt field would otherwise change nothing and say nothing.
    model_config = ConfigDict(extra="forbid")

    name: Clean | None = Field(default=None, min_length=1, max_length=120)
    areas: AreaNames | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Names, as for a new committee; they replace the committee's areas.",
    )


class MemberChangeIn(BaseModel):
    """Only what is sent changes."""

    model_config = ConfigDict(extra="forbid")

    language: LanguageCode | None = None
    phone: Clean | None = Field(default=None, min_length=3, max_length=32)
    summaries: bool | None = None
    alerts: bool | None = None


# Problems that are about other rows, not about the input: the name or number is someone else's.
CONFLICTS = frozenset({"name_taken", "phone_taken"})


def _invalid(field: str, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=422)


def _refused(exc: CommitteeError) -> JSONResponse:
    """A 409 when the name or number belongs to another committee or member, else a 422."""
    if exc.code in CONFLICTS:
        return JSONResponse({"error": str(exc), "field": exc.field}, status_code=409)
    return _invalid(exc.field, str(exc))


def _member_out(gateway: Gateway, member: CommitteeMember) -> MemberOut:
    return MemberOut(
        id=member.id,
        name=member.name,
        role=member.role,
        phone=masked_number(gateway.vault, member),
        language=member.language,
        summaries=member.receives_summaries,
        alerts=member.receives_alerts,
    )


async def _out(db: AsyncSession, gateway: Gateway, committee: Committee) -> CommitteeOut:
    areas = await committee_areas(db, committee.id)
    members = await committee_members(db, committee.id)
    return CommitteeOut(
        id=committee.id,
        name=committee.name,
        schedule=committee.schedule,
        timezone=committee.timezone,
        next_digest_at=committee.next_digest_at,
        last_digest_until=committee.last_digest_until,
        areas=[AreaOut(id=a.id, name=a.name, kind=a.kind, country=a.country_code) for a in areas],
        members=[_member_out(gateway, m) for m in members],
    )


@router.get("", response_model=list[CommitteeOut])
async def list_committees(principal: Reader, gateway: GatewayDep) -> list[CommitteeOut]:
    async with gateway.sessionmaker() as db:
        query = select(Committee).order_by(Committee.name)
        if principal.role == "committee":
            query = query.where(Committee.id == principal.committee_id)
        return [await _out(db, gateway, c) for c in (await db.execute(query)).scalars()]


@router.get("/{committee_id}", response_model=CommitteeOut)
async def get_committee(committee_id: Id, principal: Reader, gateway: GatewayDep) -> CommitteeOut:
    if principal.role == "committee" and principal.committee_id != committee_id:
        raise HTTPException(404, "no such committee")
    async with gateway.sessionmaker() as db:
        committee = await db.get(Committee, committee_id)
        if committee is None:
            raise HTTPException(404, "no such committee")
        return await _out(db, gateway, committee)


@router.post("", response_model=CommitteeOut, status_code=201)
async def add_committee(body: CommitteeIn, _: Organiser, gateway: GatewayDep) -> CommitteeOut | JSONResponse:
    try:
        async with gateway.sessionmaker() as db, db.begin():
            committee = await create_committee(db, body.name, body.areas, body.schedule, body.timezone)
            await db.flush()
            return await _out(db, gateway, committee)
    except ScheduleError as exc:
        field = "timezone" if "time zone" in str(exc) else "schedule"
        return _invalid(field, str(exc))
    except CommitteeError as exc:
        return _invalid(exc.field or "areas", str(exc))


@router.post("/{committee_id}/members", response_model=MemberOut, status_code=201)
async def add_committee_member(
    committee_id: Id, body: MemberIn, _: Organiser, gateway: GatewayDep
) -> MemberOut | JSONResponse:
    try:
        async with gateway.sessionmaker() as db, db.begin():
            committee = await db.get(Committee, committee_id)
            if committee is None:
                raise HTTPException(404, "no such committee")
            member = await add_member(
                db,
                gateway.vault,
                committee,
                NewMember(body.name, body.phone, body.language, body.role, body.summaries, body.alerts),
                gateway.settings.default_region,
            )
            await db.flush()
            return _member_out(gateway, member)
    except CommitteeError as exc:
        return _invalid(exc.field or "phone", str(exc))


@router.patch("/{committee_id}", response_model=CommitteeOut)
async def edit_committee(
    committee_id: Id, body: CommitteeChange, principal: Organiser, gateway: GatewayDep
) -> CommitteeOut | JSONResponse:
    """Renames a committee and/or replaces its areas. Alerts, acknowledgements, summaries and what
    its members read follow the new areas from now on; nothing already sent changes."""
    try:
        async with gateway.sessionmaker() as db, db.begin():
            committee = await committee_for_update(db, committee_id)
            if committee is None:
                raise HTTPException(404, "no such committee")
            areas = areas_named(db, body.areas) if body.areas is not None else None
            await change_committee(db, committee, name=body.name, areas_of=areas, by=principal)
            await db.flush()
            return await _out(db, gateway, committee)
    except CommitteeError as exc:
        return _refused(exc)
    except IntegrityError:  # the same name saved by another organiser between the check and the write
        return JSONResponse({"error": "a committee of that name exists already", "field": "name"}, 409)


@router.patch("/{committee_id}/members/{member_id}", response_model=MemberOut)
async def edit_committee_member(
    committee_id: Id, member_id: Id, body: MemberChangeIn, principal: Organiser, gateway: GatewayDep
) -> MemberOut | JSONResponse:
    """A member's language, number, and whether they take summaries and urgent alerts. A new number
    is checked as a new member's is; the answer shows it masked."""
    change = MemberChange(body.language, body.phone, body.summaries, body.alerts)
    try:
        async with gateway.sessionmaker() as db, db.begin():
            try:
                member = await committee_member(db, committee_id, member_id)
            except CommitteeError:
                raise HTTPException(404, "no such member in this committee") from None
            region = gateway.settings.default_region
            await change_member(db, gateway.vault, member, change, region, by=principal)
            await db.flush()
            return _member_out(gateway, member)
    except CommitteeError as exc:
        return _refused(exc)
    except IntegrityError:  # the same number given to another member meanwhile
        return JSONResponse(
            {"error": "this number is already a member of the committee", "field": "phone"}, 409
        )
