"""Admin API: areas, subscriptions, contacts, meetings and broadcasts (notices, announcements)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from gateway.api.deps import GatewayDep, Organiser, Reader
from gateway.api.params import Clean, Id, Moment
from gateway.api.scope import reach
from gateway.api.tokens import Principal
from gateway.areas.models import Area
from gateway.audit.service import record
from gateway.broadcasts.models import Broadcast, Meeting, Subscription
from gateway.broadcasts.service import (
    BroadcastError,
    audience_communes,
    broadcast_stats,
    create_broadcast,
    create_meeting,
    dry_run,
)
from gateway.committees.coverage import communes_under
from gateway.contacts.models import Contact
from gateway.security.phone import mask
from gateway.wiring import Gateway

router = APIRouter(prefix="/api/v1", tags=["organisers"])
Texts = dict[Literal["fr", "bm", "dyu", "mos"], Annotated[Clean, Field(max_length=1000)]]


def _plain(texts: Texts) -> dict[str, str]:
    return {str(language): text for language, text in texts.items()}


def _invalid(exc: BroadcastError) -> JSONResponse:
    return JSONResponse({"error": str(exc), "field": exc.field}, status_code=422)


@router.get("/areas")
async def list_areas(
    _: Reader, gateway: GatewayDep, level: int | None = Query(None, ge=1, le=3)
) -> list[dict[str, Any]]:
    async with gateway.sessionmaker() as db:
        query = select(Area).where(Area.active.is_(True)).order_by(Area.level, Area.name)
        if level is not None:
            query = query.where(Area.level == level)
        return [
            {
                "id": a.id,
                "name": a.name,
                "kind": a.kind,
                "level": a.level,
                "country": a.country_code,
                "parent_id": a.parent_id,
                "pcode": a.pcode,
                "aliases": a.aliases,
            }
            for a in (await db.execute(query)).scalars()
        ]


@router.get("/subscriptions")
async def subscriptions(principal: Reader, gateway: GatewayDep) -> list[dict[str, Any]]:
    """Subscribers per commune (counts only), those who said STOP left out; a committee token
    sees its own communes."""
    async with gateway.sessionmaker() as db:
        within = await reach(db, gateway, principal)
        query = (
            select(Area.name, Area.id, func.count(func.distinct(Subscription.contact_id)))
            .join(Subscription, Subscription.area_id == Area.id)
            .join(Contact, Contact.id == Subscription.contact_id)
            .where(Contact.opted_out_at.is_(None))
            .group_by(Area.name, Area.id)
            .order_by(Area.name)
        )
        if within is not None:
            query = query.where(Area.id.in_(sorted(within)))
        rows = await db.execute(query)
        return [{"area": name, "area_id": area_id, "subscribers": count} for name, area_id, count in rows]


@router.get("/contacts")
async def contacts(
    principal: Organiser,
    gateway: GatewayDep,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> list[dict[str, Any]]:
    """Contacts with their numbers masked; every read is in the audit log."""
    async with gateway.sessionmaker() as db, db.begin():
        rows = list(
            (await db.execute(select(Contact).order_by(Contact.id).limit(limit).offset(offset))).scalars()
        )
        record(
            db,
            actor=principal.name,
            role=principal.role,
            action="contacts.list",
            detail=f"offset={offset}",
            rows=len(rows),
        )
        return [
            {
                "id": c.id,
                "phone": mask(gateway.vault.decrypt(c.phone_encrypted)),
                "language": c.language,
                "home_area_id": c.home_area_id,
                "opted_out": c.opted_out_at is not None,
            }
            for c in rows
        ]


class MeetingIn(BaseModel):
    title: Texts = Field(min_length=1)
    place: Clean = Field(min_length=1, max_length=160)
    area: Clean | None = Field(default=None, max_length=160)
    starts_at: Moment
    timezone: Clean = Field(default="Africa/Bamako", max_length=64)
    agenda: Texts = Field(default_factory=dict)


@router.post("/meetings", status_code=201)
async def add_meeting(body: MeetingIn, _: Organiser, gateway: GatewayDep) -> Any:
    try:
        async with gateway.sessionmaker() as db, db.begin():
            meeting = await create_meeting(
                db,
                title=_plain(body.title),
                place=body.place,
                area=body.area,
                starts_at=body.starts_at,
                timezone=body.timezone,
                agenda=_plain(body.agenda),
            )
            return {
                "id": meeting.id,
                "title": meeting.title,
                "place": meeting.place,
                "starts_at": meeting.starts_at.isoformat(),
                "timezone": meeting.timezone,
                "agenda": meeting.agenda,
            }
    except BroadcastError as exc:
        return _invalid(exc)


@router.get("/meetings")
async def list_meetings(principal: Reader, gateway: GatewayDep) -> list[dict[str, Any]]:
    """Every meeting; for a committee token, those held for its communes."""
    async with gateway.sessionmaker() as db:
        within = await reach(db, gateway, principal)
        directory = await gateway.directory.get(db)
        meetings = (await db.execute(select(Meeting).order_by(Meeting.starts_at))).scalars()
        return [
            {
                "id": m.id,
                "title": m.title,
                "place": m.place,
                "starts_at": m.starts_at.isoformat(),
                "timezone": m.timezone,
                "agenda": m.agenda,
            }
            for m in meetings
            if within is None or (m.area_id is not None and communes_under(directory, [m.area_id]) & within)
        ]


class BroadcastIn(BaseModel):
    kind: Literal["notice", "announcement"]
    areas: list[Annotated[Clean, Field(min_length=1, max_length=160)]] = Field(min_length=1, max_length=200)
    meeting_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    texts: Texts = Field(default_factory=dict)
    send_at: Moment | None = None
    french_fallback: bool = False


async def _view(gateway: Gateway, broadcast_id: int, principal: Principal) -> dict[str, Any]:
    async with gateway.sessionmaker() as db:
        broadcast = await db.get(Broadcast, broadcast_id)
        directory = await gateway.directory.get(db)
        within = await reach(db, gateway, principal)
        if broadcast is not None and within is not None:
            if not await audience_communes(db, directory, broadcast.id) & within:
                broadcast = None  # to a committee token, another committee's broadcast does not exist
        if broadcast is None:
            raise HTTPException(404, "no such broadcast")
        preview = await dry_run(db, directory, gateway.texts, broadcast, gateway.settings.sms_gsm7, within)
        stats = await broadcast_stats(db, directory, broadcast.id, within)
    return {
        "id": broadcast.id,
        "kind": broadcast.kind,
        "status": broadcast.status,
        "meeting_id": broadcast.meeting_id,
        "send_at": broadcast.send_at.isoformat(),
        "french_fallback": broadcast.french_fallback,
        "dry_run": {
            "recipients": preview.recipients,
            "sms_parts": preview.total_parts,
            "languages": [line.__dict__ for line in preview.lines],
        },
        "stats": [line.__dict__ for line in stats],
    }


@router.post("/broadcasts", status_code=201)
async def add_broadcast(body: BroadcastIn, principal: Organiser, gateway: GatewayDep) -> Any:
    try:
        async with gateway.sessionmaker() as db, db.begin():
            meeting = await db.get(Meeting, body.meeting_id) if body.meeting_id else None
            if body.meeting_id and meeting is None:
                raise BroadcastError("meeting_id", "no such meeting")
            broadcast = await create_broadcast(
                db,
                kind=body.kind,
                areas=body.areas,
                send_at=body.send_at,
                meeting=meeting,
                texts=_plain(body.texts),
                french_fallback=body.french_fallback,
                created_by=principal.name,
            )
            broadcast_id = broadcast.id
    except BroadcastError as exc:
        return _invalid(exc)
    return await _view(gateway, broadcast_id, principal)


@router.get("/broadcasts/{broadcast_id}")
async def get_broadcast(broadcast_id: Id, principal: Reader, gateway: GatewayDep) -> dict[str, Any]:
    """The dry run (who would get what, in how many SMS parts) and the live counts; a committee
    token sees only broadcasts to its communes, counted there."""
    return await _view(gateway, broadcast_id, principal)


@router.post("/broadcasts/{broadcast_id}/{action}")
async def control_broadcast(
    broadcast_id: Id, action: Literal["pause", "resume", "cancel"], principal: Organiser, gateway: GatewayDep
) -> dict[str, Any]:
    moves = {
        "pause": (("scheduled", "expanding"), "paused"),
        "resume": (("paused",), "scheduled"),
        "cancel": (("scheduled", "expanding", "paused"), "cancelled"),
    }
    allowed, target = moves[action]
    async with gateway.sessionmaker() as db, db.begin():
        broadcast = await db.get(Broadcast, broadcast_id)
        if broadcast is None:
            raise HTTPException(404, "no such broadcast")
        if broadcast.status not in allowed:
            raise HTTPException(409, f"cannot {action} a broadcast that is {broadcast.status}")
        broadcast.status = target
    return await _view(gateway, broadcast_id, principal)
