"""Admin API: areas, subscriptions, contacts and broadcasts (notices, announcements); meetings are in
meetings.py."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.tokens import Principal
from gateway.api.deps import Organiser, Reader
from gateway.api.params import Clean, Id, Moment, Texts, plain
from gateway.api.validation import invalid, refused
from gateway.areas.models import Area
from gateway.audit.service import record_by
from gateway.broadcasts.errors import BroadcastError, Refused
from gateway.broadcasts.idempotency import keyed, remember, request_digest
from gateway.broadcasts.lifecycle import locked_broadcast, move, schedule
from gateway.broadcasts.listing import Filters, area_names, list_broadcasts
from gateway.broadcasts.models import Broadcast, Meeting, Subscription
from gateway.broadcasts.preview import Price, preview
from gateway.broadcasts.service import audience_communes, broadcast_stats, create_broadcast
from gateway.contacts.models import Contact
from gateway.http.deps import GatewayDep
from gateway.http.scope import reach
from gateway.i18n.languages import LanguageCode
from gateway.security.phone import mask
from gateway.wiring import Gateway

router = APIRouter(prefix="/api/v1", tags=["organisers"])


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
        record_by(db, principal, "contacts.list", f"offset={offset}", len(rows))
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


# lifecycle.STATUSES and service.KINDS, spelt out for the OpenAPI schema.
Status = Literal["draft", "scheduled", "expanding", "paused", "done", "cancelled", "failed"]
Kind = Literal["notice", "reminder", "announcement"]


class BroadcastIn(BaseModel):
    kind: Literal["notice", "announcement"]
    areas: list[Annotated[Clean, Field(min_length=1, max_length=160)]] = Field(min_length=1, max_length=200)
    meeting_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    texts: Texts = Field(default_factory=dict)
    # When it goes once scheduled (unless the schedule call says otherwise).
    send_at: Moment | None = None
    french_fallback: bool = False
    # Limits it to the readers of these languages; empty (or absent): every language. An unknown
    # code is the usual 422 naming the field.
    languages: list[LanguageCode] = Field(default_factory=list, max_length=20)


class ScheduleIn(BaseModel):
    send_at: Moment | None = None


def _summary(broadcast: Broadcast, areas: list[str]) -> dict[str, Any]:
    return {
        "id": broadcast.id,
        "kind": broadcast.kind,
        "status": broadcast.status,
        "meeting_id": broadcast.meeting_id,
        "parent_id": broadcast.parent_id,
        "areas": areas,
        "send_at": broadcast.send_at.isoformat() if broadcast.send_at else None,
        "french_fallback": broadcast.french_fallback,
        "languages": list(broadcast.languages),
        "created_at": broadcast.created_at.isoformat(),
        "created_by": broadcast.created_by,
        "finished_at": broadcast.finished_at.isoformat() if broadcast.finished_at else None,
        "failure_reason": broadcast.failure_reason,
    }


async def _view(gateway: Gateway, broadcast_id: int, principal: Principal) -> dict[str, Any]:
    settings = gateway.settings
    async with gateway.sessionmaker() as db:
        broadcast = await db.get(Broadcast, broadcast_id)
        directory = await gateway.directory.get(db)
        within = await reach(db, gateway, principal)
        if broadcast is not None and within is not None:
            if not await audience_communes(db, directory, broadcast) & within:
                broadcast = None  # to a committee token, another committee's broadcast does not exist
        if broadcast is None:
            raise HTTPException(404, "no such broadcast")
        shown = await preview(
            db,
            directory,
            gateway.texts,
            broadcast,
            gsm7=settings.sms_gsm7,
            price=Price(settings.sms_price_per_part, settings.sms_currency),
            within=within,
        )
        stats = await broadcast_stats(db, directory, broadcast.id, within)
        areas = (await area_names(db, directory, [broadcast]))[broadcast.id]
    return {
        **_summary(broadcast, areas),
        "dry_run": shown.as_dict(),
        "stats": [line.__dict__ for line in stats],
    }


async def _create(
    gateway: Gateway, body: BroadcastIn, principal: Principal, key: str | None, digest: str
) -> tuple[int, bool]:
    """(the draft's id, whether an earlier request with the same key had made it)."""
    async with gateway.sessionmaker() as db, db.begin():
        if key is not None and (earlier := await keyed(db, principal.token_id, key, digest)):
            return earlier.id, True
        meeting = await db.get(Meeting, body.meeting_id) if body.meeting_id else None
        if body.meeting_id and meeting is None:
            raise BroadcastError("meeting_id", "no such meeting")
        broadcast = await create_broadcast(
            db,
            kind=body.kind,
            areas=body.areas,
            send_at=body.send_at,
            meeting=meeting,
            texts=plain(body.texts),
            french_fallback=body.french_fallback,
            created_by=principal.name,
            token_id=principal.token_id,
            languages=[str(code) for code in body.languages],
        )
        if key is not None:
            remember(broadcast, key, digest)
            await db.flush()
        return broadcast.id, False


@router.post("/broadcasts", status_code=201)
async def add_broadcast(
    body: BroadcastIn,
    principal: Organiser,
    gateway: GatewayDep,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    ] = None,
) -> Any:
    """A draft, never sent until scheduled, and its preview: per language the exact SMS, its
    encoding and parts, the recipients, the cost and every part not in the reader's language.
    With an Idempotency-Key, the same request again returns the same draft."""
    payload = body.model_dump(mode="json")
    if not payload["languages"]:
        # Absent and empty are the same request, as they were before the field: a retry of a
        # request sent before it existed keeps its digest.
        del payload["languages"]
    digest = request_digest(payload)
    try:
        try:
            broadcast_id, replayed = await _create(gateway, body, principal, idempotency_key, digest)
        except IntegrityError:
            if idempotency_key is None:
                raise
            # Another request with the same key committed first: this one gets its draft.
            async with gateway.sessionmaker() as db:
                earlier = await keyed(db, principal.token_id, idempotency_key, digest)
            if earlier is None:
                raise
            broadcast_id, replayed = earlier.id, True
    except BroadcastError as exc:
        return invalid(exc)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return await _view(gateway, broadcast_id, principal)


@router.get("/broadcasts")
async def broadcasts(
    principal: Reader,
    gateway: GatewayDep,
    status: Status | None = None,
    kind: Kind | None = None,
    meeting_id: int | None = Query(None, ge=1, le=2_147_483_647),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> list[dict[str, Any]]:
    """Newest first; a committee token sees those whose areas meet its communes."""
    async with gateway.sessionmaker() as db:
        directory = await gateway.directory.get(db)
        within = await reach(db, gateway, principal)
        found = await list_broadcasts(
            db, directory, Filters(status, kind, meeting_id), within=within, limit=limit, offset=offset
        )
        areas = await area_names(db, directory, found)
    return [_summary(b, areas[b.id]) for b in found]


@router.get("/broadcasts/{broadcast_id}")
async def get_broadcast(broadcast_id: Id, principal: Reader, gateway: GatewayDep) -> dict[str, Any]:
    """The preview (who would get what, in how many SMS parts) and the live counts; a committee
    token sees only broadcasts to its communes, counted there."""
    return await _view(gateway, broadcast_id, principal)


async def _locked_broadcast(db: AsyncSession, broadcast_id: int) -> Broadcast:
    broadcast = await locked_broadcast(db, broadcast_id)
    if broadcast is None:
        raise HTTPException(404, "no such broadcast")
    return broadcast


# Before the route below, which would otherwise take "schedule" for an unknown action.
@router.post("/broadcasts/{broadcast_id}/schedule")
async def schedule_broadcast(
    broadcast_id: Id, principal: Organiser, gateway: GatewayDep, body: ScheduleIn | None = None
) -> Any:
    """Commits a draft: it goes at `send_at`, else the time it was drafted with, else now."""
    try:
        async with gateway.sessionmaker() as db, db.begin():
            broadcast = await _locked_broadcast(db, broadcast_id)
            await schedule(db, broadcast, gateway.texts, body.send_at if body else None)
    except BroadcastError as exc:
        return invalid(exc)
    except Refused as exc:
        raise refused(exc) from None
    return await _view(gateway, broadcast_id, principal)


@router.post("/broadcasts/{broadcast_id}/{action}")
async def control_broadcast(
    broadcast_id: Id, action: Literal["pause", "resume", "cancel"], principal: Organiser, gateway: GatewayDep
) -> dict[str, Any]:
    try:
        async with gateway.sessionmaker() as db, db.begin():
            await move(db, await _locked_broadcast(db, broadcast_id), action)
    except Refused as exc:
        raise refused(exc) from None
    return await _view(gateway, broadcast_id, principal)
