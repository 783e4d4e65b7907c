"""The moves between a broadcast's statuses and what comes with them: a notice's reminder is
planned when the notice is scheduled (not while it is a draft) and cancelled with it.

    draft --schedule--> scheduled --(expander)--> expanding --(expander)--> done
    scheduled, expanding --pause--> paused --resume--> scheduled
    draft, scheduled, expanding, paused --cancel--> cancelled
    scheduled, expanding --(expander, on what it cannot turn into text)--> failed
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.broadcasts.errors import BrokenBroadcast, Refused
from gateway.broadcasts.models import Broadcast, BroadcastRecipient, Meeting
from gateway.broadcasts.service import check_send_at
from gateway.broadcasts.texts import BroadcastTexts
from gateway.db.base import utcnow
from gateway.i18n.languages import CODES

STATUSES = ("draft", "scheduled", "expanding", "paused", "done", "cancelled", "failed")
MOVES: dict[str, tuple[frozenset[str], str]] = {
    "schedule": (frozenset({"draft"}), "scheduled"),
    "pause": (frozenset({"scheduled", "expanding"}), "paused"),
    "resume": (frozenset({"paused"}), "scheduled"),
    "cancel": (frozenset({"draft", "scheduled", "expanding", "paused"}), "cancelled"),
}
# Reminders not yet begun: moved or dropped with their notice.
WAITING = ("scheduled", "paused")
REMINDER_BEFORE = timedelta(days=1)
# A reminder hard on the heels of its notice would only be a second copy of it.
REMINDER_GAP = timedelta(hours=6)


async def locked_broadcast(db: AsyncSession, broadcast_id: int) -> Broadcast | None:
    """The broadcast, locked, so that a move waits for the expander's batch in progress rather
    than racing it (the API and the console move broadcasts through this)."""
    return (
        await db.execute(select(Broadcast).where(Broadcast.id == broadcast_id).with_for_update())
    ).scalar_one_or_none()


def target(broadcast: Broadcast, action: str) -> str:
    """The status `action` leads to from where the broadcast is; Refused when it cannot go."""
    allowed, status = MOVES[action]
    if broadcast.status not in allowed:
        raise Refused(f"cannot {action} a broadcast that is {broadcast.status}")
    return status


async def move(db: AsyncSession, broadcast: Broadcast, action: str) -> None:
    """pause, resume or cancel (schedule has its own function: it needs a time and checks)."""
    if action == "schedule":
        raise ValueError("use schedule()")
    broadcast.status = target(broadcast, action)
    if action == "cancel" and broadcast.kind == "notice":
        # Else the day before the meeting those it reached would be reminded of a cancelled notice.
        await db.flush()  # a reminder planned in this transaction is one of them
        await db.execute(
            update(Broadcast)
            .where(Broadcast.parent_id == broadcast.id, Broadcast.status.in_(WAITING))
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )


async def schedule(
    db: AsyncSession,
    broadcast: Broadcast,
    texts: BroadcastTexts,
    send_at: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """draft -> scheduled, at `send_at`, else the time the draft was made with, else now."""
    status = target(broadcast, "schedule")
    now = now or utcnow()
    meeting = await db.get(Meeting, broadcast.meeting_id) if broadcast.meeting_id else None
    when = send_at or broadcast.send_at or now
    check_send_at(when, meeting, now)
    for language in CODES:
        try:
            await texts.render(db, broadcast, language)
        except BrokenBroadcast as exc:
            raise Refused(f"cannot schedule it: {exc}", "broken") from None
    broadcast.status, broadcast.send_at = status, when
    if broadcast.kind == "notice" and meeting is not None:
        await plan_reminder(db, broadcast, meeting)


async def plan_reminder(db: AsyncSession, notice: Broadcast, meeting: Meeting) -> Broadcast | None:
    """(Re)plans the reminder of a scheduled notice for the day before the meeting, if that leaves
    time after the notice; a reminder waiting from an earlier plan is dropped."""
    await db.execute(
        delete(Broadcast)
        .where(Broadcast.parent_id == notice.id, Broadcast.status.in_(WAITING), Broadcast.cursor == 0)
        .execution_options(synchronize_session=False)
    )
    remind_at = meeting.starts_at - REMINDER_BEFORE
    if notice.send_at is None or remind_at <= notice.send_at + REMINDER_GAP:
        return None
    reminder = Broadcast(
        kind="reminder",
        meeting_id=meeting.id,
        parent_id=notice.id,
        texts={},
        french_fallback=notice.french_fallback,
        # The notice's readers, so its languages: the preview counts the reminder's subscribers
        # by this before the notice has gone out.
        languages=list(notice.languages),
        asks_rsvp=False,
        send_at=remind_at,
        status="scheduled",
        cursor=0,
        created_by=notice.created_by,
    )
    db.add(reminder)
    return reminder


async def has_started(db: AsyncSession, broadcast_ids: list[int]) -> bool:
    """Whether any of these has begun going out: being expanded, past its first batch, or with
    recipients (a notice paused half-way, or done)."""
    if not broadcast_ids:
        return False
    begun = select(
        or_(
            exists().where(
                Broadcast.id.in_(broadcast_ids),
                or_(Broadcast.status == "expanding", Broadcast.cursor > 0),
            ),
            exists().where(BroadcastRecipient.broadcast_id.in_(broadcast_ids)),
        )
    )
    return bool((await db.execute(begun)).scalar())
