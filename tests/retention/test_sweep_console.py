"""The sweep forgets the console's dead sessions and lapsed invitations: nothing of a browser left
signed in, or of a person who never took their invitation, stays for ever."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.accounts.invitations import invite
from gateway.accounts.models import ConsoleSession, Invitation
from gateway.accounts.sessions import open_session
from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.accounts.helpers import keys, make_user


async def test_dead_sessions_and_lapsed_invitations_go_the_live_ones_stay(gateway: Gateway) -> None:
    now = utcnow()
    idle = timedelta(seconds=gateway.settings.console_session_idle_s)
    absolute = timedelta(seconds=gateway.settings.console_session_absolute_s)
    user = await make_user(gateway, now=now)  # its own invitation used, and still in date
    async with gateway.sessionmaker() as db, db.begin():
        await open_session(db, user, now - idle + timedelta(minutes=5))  # live
        await open_session(db, user, now - idle - timedelta(minutes=1))  # idle too long
        await open_session(db, user, now - absolute - timedelta(minutes=1))  # too old, though used
        await db.execute(
            ConsoleSession.__table__.update()
            .where(ConsoleSession.created_at < now - absolute)
            .values(last_seen_at=now)
        )
        await invite(
            db,
            keys(gateway),
            name="Jamais venue",
            role="viewer",
            committee_id=None,
            now=now - timedelta(days=4),
            ttl=timedelta(days=3),
        )
        await invite(
            db,
            keys(gateway),
            name="Attendue",
            role="viewer",
            committee_id=None,
            now=now,
            ttl=timedelta(days=3),
        )

    await gateway.sweeper.step()

    async with gateway.sessionmaker() as db:
        sessions = list((await db.execute(select(ConsoleSession.created_at))).scalars())
        invited = list((await db.execute(select(Invitation.name).order_by(Invitation.id))).scalars())
    live = now - idle + timedelta(minutes=5)
    assert [abs(created - live) < timedelta(seconds=1) for created in sessions] == [True]
    assert invited == ["Awa Traoré", "Attendue"]
