"""Admin API: /api/v1/meetings — the forum meetings notices announce: made, listed, edited and
deleted while no notice for them has gone out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from gateway.api.deps import Organiser, Reader
from gateway.api.params import Clean, Id, Moment, Texts, plain
from gateway.api.validation import invalid, refused
from gateway.areas.coverage import communes_under
from gateway.broadcasts.errors import BroadcastError, Refused
from gateway.broadcasts.meetings import KEEP, Keep, create_meeting, discard_meeting, edit_meeting
from gateway.broadcasts.models import Meeting
from gateway.http.deps import GatewayDep
from gateway.http.scope import reach

router = APIRouter(prefix="/api/v1", tags=["organisers"])


class MeetingIn(BaseModel):
    title: Texts = Field(min_length=1)
    place: Clean = Field(min_length=1, max_length=160)
    area: Clean | None = Field(default=None, max_length=160)
    # Without an offset, a wall-clock time in `timezone`.
    starts_at: Moment
    timezone: Clean = Field(default="Africa/Bamako", max_length=64)
    agenda: Texts = Field(default_factory=dict)


class MeetingChange(BaseModel):
    """Only what is sent changes; `"area": null` removes the area."""

    # A misspelt field would otherwise change nothing and say nothing.
    model_config = ConfigDict(extra="forbid")

    title: Texts | None = Field(default=None, min_length=1)
    place: Clean | None = Field(default=None, min_length=1, max_length=160)
    area: Clean | None = Field(default=None, max_length=160)
    starts_at: Moment | None = None
    timezone: Clean | None = Field(default=None, max_length=64)
    agenda: Texts | None = None


def _meeting(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "title": meeting.title,
        "place": meeting.place,
        "area_id": meeting.area_id,
        "starts_at": meeting.starts_at.isoformat(),
        "timezone": meeting.timezone,
        "agenda": meeting.agenda,
    }


@router.post("/meetings", status_code=201)
async def add_meeting(body: MeetingIn, principal: Organiser, gateway: GatewayDep) -> Any:
    try:
        async with gateway.sessionmaker() as db, db.begin():
            meeting = await create_meeting(
                db,
                title=plain(body.title),
                place=body.place,
                area=body.area,
                starts_at=body.starts_at,
                timezone=body.timezone,
                agenda=plain(body.agenda),
                by=principal,
            )
            return _meeting(meeting)
    except BroadcastError as exc:
        return invalid(exc)


@router.get("/meetings")
async def list_meetings(principal: Reader, gateway: GatewayDep) -> list[dict[str, Any]]:
    """Every meeting; for a committee token, those held for its communes."""
    async with gateway.sessionmaker() as db:
        within = await reach(db, gateway, principal)
        directory = await gateway.directory.get(db)
        meetings = (await db.execute(select(Meeting).order_by(Meeting.starts_at))).scalars()
        return [
            _meeting(m)
            for m in meetings
            if within is None or (m.area_id is not None and communes_under(directory, [m.area_id]) & within)
        ]


@router.patch("/meetings/{meeting_id}")
async def change_meeting(
    meeting_id: Id, body: MeetingChange, principal: Organiser, gateway: GatewayDep
) -> Any:
    """Edits a meeting whose notices have not begun going out (409 once they have: people hold
    the old text). Its scheduled notices keep their time; their reminders follow a new start."""
    area: str | None | Keep = body.area if "area" in body.model_fields_set else KEEP
    try:
        async with gateway.sessionmaker() as db, db.begin():
            edited = await edit_meeting(
                db,
                meeting_id,
                by=principal,
                title=plain(body.title) if body.title is not None else None,
                place=body.place,
                area=area,
                starts_at=body.starts_at,
                timezone=body.timezone,
                agenda=plain(body.agenda) if body.agenda is not None else None,
            )
            if edited is None:
                raise HTTPException(404, "no such meeting")
            return _meeting(edited[0])
    except BroadcastError as exc:
        return invalid(exc)
    except Refused as exc:
        raise refused(exc) from None


@router.delete("/meetings/{meeting_id}")
async def remove_meeting(meeting_id: Id, principal: Organiser, gateway: GatewayDep) -> dict[str, Any]:
    """Deletes a meeting and its broadcasts (drafts, scheduled ones); 409 once a notice went out."""
    try:
        async with gateway.sessionmaker() as db, db.begin():
            broadcasts = await discard_meeting(db, meeting_id, by=principal)
            if broadcasts is None:
                raise HTTPException(404, "no such meeting")
    except Refused as exc:
        raise refused(exc) from None
    return {"id": meeting_id, "deleted": True, "broadcasts_deleted": broadcasts}
