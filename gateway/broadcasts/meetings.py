"""Meetings: making, editing and deleting them. Once a notice for a meeting has begun going out
people hold its text, so the meeting is then fixed. Callers own the transaction.

The API and the console change and delete a meeting through `edit_meeting` / `discard_meeting`:
the row locked, the change made, the audit entry written, in one place."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.audit.service import Actor, record_by
from gateway.broadcasts.errors import BroadcastError, Refused
from gateway.broadcasts.lifecycle import WAITING, has_started, plan_reminder
from gateway.broadcasts.models import Broadcast, BroadcastArea, Meeting
from gateway.broadcasts.service import clean_texts, find_area_rows
from gateway.db.base import utcnow
from gateway.i18n.dates import time_zone

SENT = (
    "a notice for this meeting has gone out and people have its text: "
    "tell them of the change in an announcement, or make a new meeting"
)


class Keep(Enum):
    """An area left as it is, told apart from None (no area)."""

    KEEP = "keep"


KEEP = Keep.KEEP


def _zone(name: str) -> ZoneInfo:
    try:
        return time_zone(name)
    except ValueError as exc:
        raise BroadcastError("timezone", str(exc)) from None


def _start(starts_at: datetime, timezone: str) -> datetime:
    # A time without an offset is a wall-clock time where the meeting is held.
    moment = starts_at if starts_at.tzinfo is not None else starts_at.replace(tzinfo=_zone(timezone))
    if moment <= utcnow():
        raise BroadcastError("starts_at", "the meeting is in the past", "past")
    return moment


def _place(place: str) -> str:
    if not place.strip():
        raise BroadcastError("place", "say where the meeting is")
    return " ".join(place.split())[:160]


async def _area_id(db: AsyncSession, area: str | int | None) -> int | None:
    # A name (the API) or an id (the console's picker).
    return (await find_area_rows(db, [area]))[0].id if area else None


async def create_meeting(
    db: AsyncSession,
    *,
    title: dict[str, str],
    place: str,
    area: str | int | None,
    starts_at: datetime,
    timezone: str,
    agenda: dict[str, str],
    by: Actor | None = None,
) -> Meeting:
    """A new meeting; `by` (who asked for it) is named in the audit log. Only code that makes
    meetings on no one's behalf (tests, benchmarks) leaves it out."""
    _zone(timezone)
    meeting = Meeting(
        title=clean_texts("title", title, required=True),
        place=_place(place),
        area_id=await _area_id(db, area),
        starts_at=_start(starts_at, timezone),
        timezone=timezone,
        agenda=clean_texts("agenda", agenda, required=False),
    )
    db.add(meeting)
    await db.flush()
    if by is not None:
        record_by(db, by, "meetings.create", f"meeting {meeting.id}", 1)
    return meeting


async def locked_meeting(db: AsyncSession, meeting_id: int) -> Meeting | None:
    """The meeting with its row locked until the transaction ends: two edits, or an edit and a
    deletion, of one meeting are made one after the other, each on what the other left."""
    return (
        await db.execute(select(Meeting).where(Meeting.id == meeting_id).with_for_update())
    ).scalar_one_or_none()


async def _broadcast_ids(db: AsyncSession, meeting_id: int) -> list[int]:
    # Locked: an expander about to begin one of them skips it until this transaction is over,
    # then reads the meeting as this one leaves it.
    rows = await db.execute(select(Broadcast.id).where(Broadcast.meeting_id == meeting_id).with_for_update())
    return list(rows.scalars())


async def meeting_state(db: AsyncSession, meeting_id: int) -> tuple[int, bool]:
    """(how many broadcasts deleting the meeting would delete with it, whether it is fixed: one of
    them has begun going out, so edits and deletion are refused). For a page: nothing is locked."""
    ids = list((await db.execute(select(Broadcast.id).where(Broadcast.meeting_id == meeting_id))).scalars())
    return len(ids), await has_started(db, ids)


async def update_meeting(
    db: AsyncSession,
    meeting: Meeting,
    *,
    title: dict[str, str] | None = None,
    place: str | None = None,
    area: str | int | None | Keep = KEEP,
    starts_at: datetime | None = None,
    timezone: str | None = None,
    agenda: dict[str, str] | None = None,
) -> list[str]:
    """Changes what is given (None: unchanged; for `area`, KEEP); returns the fields that changed.

    A new time zone alone keeps the moment and changes how it is written; a new start without an
    offset is read in the new zone, or else the meeting's."""
    if await has_started(db, await _broadcast_ids(db, meeting.id)):
        raise Refused(SENT)
    values: dict[str, object] = {}
    if title is not None:
        values["title"] = clean_texts("title", title, required=True)
    if agenda is not None:
        values["agenda"] = clean_texts("agenda", agenda, required=False)
    if place is not None:
        values["place"] = _place(place)
    if not isinstance(area, Keep):
        values["area_id"] = await _area_id(db, area)
    if timezone is not None:
        _zone(timezone)
        values["timezone"] = timezone
    if starts_at is not None:
        values["starts_at"] = _start(starts_at, timezone or meeting.timezone)
    changed = [name for name, value in values.items() if getattr(meeting, name) != value]
    for name in changed:
        setattr(meeting, name, values[name])
    if "starts_at" in changed:
        await _follow_new_start(db, meeting)
    return changed


async def edit_meeting(
    db: AsyncSession,
    meeting_id: int,
    *,
    by: Actor,
    title: dict[str, str] | None = None,
    place: str | None = None,
    area: str | int | None | Keep = KEEP,
    starts_at: datetime | None = None,
    timezone: str | None = None,
    agenda: dict[str, str] | None = None,
) -> tuple[Meeting, list[str]] | None:
    """update_meeting on the locked row, the change (if any) in the audit log as `meetings.update`;
    (the meeting, the fields that changed), or None when there is no such meeting."""
    meeting = await locked_meeting(db, meeting_id)
    if meeting is None:
        return None
    changed = await update_meeting(
        db,
        meeting,
        title=title,
        place=place,
        area=area,
        starts_at=starts_at,
        timezone=timezone,
        agenda=agenda,
    )
    if changed:
        record_by(db, by, "meetings.update", f"meeting {meeting.id}: {', '.join(changed)}", 1)
    return meeting, changed


async def discard_meeting(db: AsyncSession, meeting_id: int, *, by: Actor) -> int | None:
    """delete_meeting on the locked row, in the audit log as `meetings.delete`; how many broadcasts
    went with it, or None when there is no such meeting."""
    meeting = await locked_meeting(db, meeting_id)
    if meeting is None:
        return None
    broadcasts = await delete_meeting(db, meeting)
    record_by(db, by, "meetings.delete", f"meeting {meeting_id} with {broadcasts} broadcast(s)", 1)
    return broadcasts


async def _follow_new_start(db: AsyncSession, meeting: Meeting) -> None:
    notices = (
        await db.execute(
            select(Broadcast).where(
                Broadcast.meeting_id == meeting.id,
                Broadcast.kind == "notice",
                Broadcast.status.in_(WAITING),
            )
        )
    ).scalars()
    for notice in notices:
        if notice.send_at is not None and notice.send_at >= meeting.starts_at:
            raise BroadcastError(
                "starts_at",
                f"broadcast {notice.id} goes out after that start; cancel it first",
                "notice_after",
                {"id": notice.id},
            )
        await plan_reminder(db, notice, meeting)


async def delete_meeting(db: AsyncSession, meeting: Meeting) -> int:
    """Deletes the meeting with its broadcasts, none of which has gone out; returns how many."""
    ids = await _broadcast_ids(db, meeting.id)
    if await has_started(db, ids):
        raise Refused(SENT)
    if ids:
        await db.execute(delete(BroadcastArea).where(BroadcastArea.broadcast_id.in_(ids)))
        # Reminders first: they point at their notices.
        for reminders in (True, False):
            condition = Broadcast.parent_id.is_not(None) if reminders else Broadcast.parent_id.is_(None)
            await db.execute(
                delete(Broadcast)
                .where(Broadcast.id.in_(ids), condition)
                .execution_options(synchronize_session=False)
            )
    await db.delete(meeting)
    return len(ids)
