"""Meetings: time zones checked against the IANA list, naive times read in the meeting's zone,
edits until a notice has begun going out, and what an edit does to scheduled notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from gateway.audit.models import AuditEvent
from gateway.broadcasts.errors import BroadcastError, Refused
from gateway.broadcasts.lifecycle import schedule
from gateway.broadcasts.meetings import (
    create_meeting,
    delete_meeting,
    discard_meeting,
    edit_meeting,
    meeting_state,
    update_meeting,
)
from gateway.broadcasts.models import Broadcast, Meeting
from gateway.broadcasts.service import create_broadcast
from gateway.db.base import utcnow
from gateway.wiring import Gateway

DAY = (utcnow() + timedelta(days=30)).date()


async def make(gateway: Gateway, **fields: Any) -> Meeting:
    values: dict[str, Any] = {
        "title": {"fr": "Forum"},
        "place": "Mairie",
        "area": None,
        "starts_at": datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=UTC),
        "timezone": "Africa/Bamako",
        "agenda": {},
        **fields,
    }
    async with gateway.sessionmaker() as db, db.begin():
        return await create_meeting(db, **values)


async def edit(gateway: Gateway, meeting_id: int, **changes: Any) -> list[str]:
    async with gateway.sessionmaker() as db, db.begin():
        return await update_meeting(db, await db.get_one(Meeting, meeting_id), **changes)


async def test_a_naive_start_is_a_wall_clock_time_where_the_meeting_is(gateway: Gateway) -> None:
    naive = datetime(DAY.year, DAY.month, DAY.day, 9)
    meeting = await make(gateway, starts_at=naive, timezone="Africa/Lagos")  # UTC+1
    assert meeting.starts_at == datetime(DAY.year, DAY.month, DAY.day, 8, tzinfo=UTC)
    # Edited: a naive time in the zone given with it, else in the meeting's own.
    await edit(gateway, meeting.id, starts_at=naive.replace(hour=10))
    async with gateway.sessionmaker() as db:
        assert (await db.get_one(Meeting, meeting.id)).starts_at.hour == 9
    await edit(gateway, meeting.id, starts_at=naive.replace(hour=10), timezone="Africa/Bamako")
    async with gateway.sessionmaker() as db:
        assert (await db.get_one(Meeting, meeting.id)).starts_at.hour == 10


@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", "posixrules", "", "../../etc/passwd"])
async def test_a_time_zone_must_be_an_iana_zone(gateway: Gateway, zone: str) -> None:
    with pytest.raises(BroadcastError) as raised:
        await make(gateway, timezone=zone)
    assert raised.value.field == "timezone"
    meeting = await make(gateway)
    with pytest.raises(BroadcastError) as raised:
        await edit(gateway, meeting.id, timezone=zone)
    assert raised.value.field == "timezone"


async def test_a_new_zone_alone_keeps_the_moment(gateway: Gateway) -> None:
    meeting = await make(gateway)
    assert await edit(gateway, meeting.id, timezone="Africa/Ouagadougou") == ["timezone"]
    assert await edit(gateway, meeting.id, timezone="Africa/Ouagadougou") == []  # no change, none told
    async with gateway.sessionmaker() as db:
        assert (await db.get_one(Meeting, meeting.id)).starts_at == meeting.starts_at


async def _scheduled_notice(gateway: Gateway, meeting: Meeting, send_in: timedelta) -> Broadcast:
    async with gateway.sessionmaker() as db, db.begin():
        broadcast = await create_broadcast(
            db, kind="notice", areas=["Zégoua"], send_at=utcnow() + send_in, meeting=meeting
        )
        await schedule(db, broadcast, gateway.texts)
        return broadcast


async def test_the_start_cannot_move_before_a_scheduled_notice(gateway: Gateway) -> None:
    meeting = await make(gateway)
    await _scheduled_notice(gateway, meeting, timedelta(days=10))
    with pytest.raises(BroadcastError) as raised:
        await edit(gateway, meeting.id, starts_at=utcnow() + timedelta(days=5))
    assert raised.value.field == "starts_at"


async def test_a_meeting_whose_notice_began_going_out_is_fixed(gateway: Gateway) -> None:
    meeting = await make(gateway)
    notice = await _scheduled_notice(gateway, meeting, timedelta(hours=1))
    # Paused half-way: some have it already.
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(
            update(Broadcast).where(Broadcast.id == notice.id).values(status="paused", cursor=42)
        )
    with pytest.raises(Refused):
        await edit(gateway, meeting.id, place="Ailleurs")
    async with gateway.sessionmaker() as db:
        with pytest.raises(Refused):
            await delete_meeting(db, await db.get_one(Meeting, meeting.id))
        await db.rollback()
        assert await db.get(Meeting, meeting.id) is not None


async def test_deleting_a_meeting_takes_its_notices_and_reminders(gateway: Gateway) -> None:
    meeting = await make(gateway)
    await _scheduled_notice(gateway, meeting, timedelta(hours=1))
    async with gateway.sessionmaker() as db, db.begin():
        assert await delete_meeting(db, await db.get_one(Meeting, meeting.id)) == 2
    async with gateway.sessionmaker() as db:
        assert list((await db.execute(select(Broadcast))).scalars()) == []


class _Someone:
    """An actor as the audit log names it (a console person or an API token)."""

    audit_name = "Awa Traoré (#1)"
    role = "organiser"


async def test_made_changed_and_deleted_on_someones_behalf_each_audited_once(gateway: Gateway) -> None:
    meeting = await make(gateway, by=_Someone())
    async with gateway.sessionmaker() as db, db.begin():
        edited = await edit_meeting(db, meeting.id, by=_Someone(), place="École", title={"fr": "Forum"})
        assert edited is not None
        assert edited[1] == ["place"]
        assert await edit_meeting(db, meeting.id, by=_Someone(), place="École") == (edited[0], [])
        assert await edit_meeting(db, 987654, by=_Someone(), place="École") is None
    notice = await _scheduled_notice(gateway, meeting, timedelta(hours=1))
    async with gateway.sessionmaker() as db:
        assert await meeting_state(db, meeting.id) == (2, False)  # the notice and its reminder
    async with gateway.sessionmaker() as db, db.begin():
        assert await discard_meeting(db, 987654, by=_Someone()) is None
        assert await discard_meeting(db, meeting.id, by=_Someone()) == 2
    async with gateway.sessionmaker() as db:
        events = (await db.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars().all()
        assert await db.get(Broadcast, notice.id) is None
    assert [(e.actor, e.action, e.detail) for e in events] == [
        ("Awa Traoré (#1)", "meetings.create", f"meeting {meeting.id}"),
        ("Awa Traoré (#1)", "meetings.update", f"meeting {meeting.id}: place"),
        ("Awa Traoré (#1)", "meetings.delete", f"meeting {meeting.id} with 2 broadcast(s)"),
    ]


async def test_a_fixed_meeting_is_said_fixed_and_its_edit_refused_under_the_lock(gateway: Gateway) -> None:
    meeting = await make(gateway)
    notice = await _scheduled_notice(gateway, meeting, timedelta(hours=1))
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Broadcast).where(Broadcast.id == notice.id).values(status="expanding"))
    async with gateway.sessionmaker() as db:
        assert await meeting_state(db, meeting.id) == (2, True)
    for attempt in (
        lambda db: edit_meeting(db, meeting.id, by=_Someone(), place="Ailleurs"),
        lambda db: discard_meeting(db, meeting.id, by=_Someone()),
    ):
        async with gateway.sessionmaker() as db:
            with pytest.raises(Refused):
                async with db.begin():
                    await attempt(db)
    async with gateway.sessionmaker() as db:
        assert (await db.get_one(Meeting, meeting.id)).place == "Mairie"
        assert (await db.execute(select(AuditEvent))).first() is None
