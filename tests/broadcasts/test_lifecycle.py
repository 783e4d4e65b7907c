"""Which status moves a broadcast may make, and what scheduling brings with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.broadcasts.errors import BroadcastError, Refused
from gateway.broadcasts.lifecycle import STATUSES, move, schedule, target
from gateway.broadcasts.meetings import create_meeting
from gateway.broadcasts.models import Broadcast
from gateway.broadcasts.service import create_broadcast
from gateway.db.base import utcnow
from gateway.wiring import Gateway

# Written out rather than read from lifecycle.MOVES, so that a change there has to be meant.
ALLOWED = {
    ("draft", "schedule"): "scheduled",
    ("draft", "cancel"): "cancelled",
    ("scheduled", "pause"): "paused",
    ("scheduled", "cancel"): "cancelled",
    ("expanding", "pause"): "paused",
    ("expanding", "cancel"): "cancelled",
    ("paused", "resume"): "scheduled",
    ("paused", "cancel"): "cancelled",
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ["schedule", "pause", "resume", "cancel"])
def test_moves(status: str, action: str) -> None:
    broadcast = Broadcast(status=status)
    if (status, action) in ALLOWED:
        assert target(broadcast, action) == ALLOWED[status, action]
    else:
        with pytest.raises(Refused):
            target(broadcast, action)


async def _notice(gateway: Gateway, starts_in: timedelta) -> Broadcast:
    async with gateway.sessionmaker() as db, db.begin():
        meeting = await create_meeting(
            db,
            title={"fr": "Forum"},
            place="Mairie",
            area="Zégoua",
            starts_at=utcnow() + starts_in,
            timezone="Africa/Bamako",
            agenda={},
        )
        return await create_broadcast(db, kind="notice", areas=["Zégoua"], send_at=None, meeting=meeting)


async def _reminders(gateway: Gateway, notice: Broadcast) -> list[Broadcast]:
    async with gateway.sessionmaker() as db:
        found = await db.execute(select(Broadcast).where(Broadcast.parent_id == notice.id))
        return list(found.scalars())


async def test_a_reminder_is_planned_on_scheduling_only_if_there_is_time(gateway: Gateway) -> None:
    soon, later = await _notice(gateway, timedelta(hours=20)), await _notice(gateway, timedelta(days=3))
    async with gateway.sessionmaker() as db, db.begin():
        for draft in (soon, later):
            await schedule(db, await db.get_one(Broadcast, draft.id), gateway.texts)
    assert await _reminders(gateway, soon) == []  # the day before is now: the notice is reminder enough
    [reminder] = await _reminders(gateway, later)
    assert (reminder.kind, reminder.status) == ("reminder", "scheduled")


async def test_scheduling_checks_the_time_against_the_meeting(gateway: Gateway) -> None:
    notice = await _notice(gateway, timedelta(hours=20))
    async with gateway.sessionmaker() as db:
        row = await db.get_one(Broadcast, notice.id)
        with pytest.raises(BroadcastError) as raised:
            await schedule(db, row, gateway.texts, send_at=utcnow() + timedelta(days=1))
        await db.rollback()
    assert raised.value.field == "send_at"


async def test_cancelling_a_notice_cancels_its_waiting_reminder(gateway: Gateway) -> None:
    notice = await _notice(gateway, timedelta(days=3))
    async with gateway.sessionmaker() as db, db.begin():
        row = await db.get_one(Broadcast, notice.id)
        await schedule(db, row, gateway.texts)
        await move(db, row, "pause")
        await move(db, row, "cancel")
    [reminder] = await _reminders(gateway, notice)
    assert reminder.status == "cancelled"
