"""The running part of retention: what must not outlive the minutes it is needed for.

A caller cut off mid-report can resume for GATEWAY_USSD_RESUME_WINDOW_S; after that the answers
they typed and never sent (a description, a place) go, and so does the phone hash of that draft.
A session nobody ended (the caller hung up on a menu) is closed with only the hour kept.
Flood-control marks go once they are older than their minute; console sessions once idle or old
past their limits, invitations once past their date. The same minute folds the weekly counts'
moves (reports.week_counts), which is upkeep rather than retention but wants the same beat."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.invitations import expire_invitations
from gateway.accounts.sessions import expire_sessions
from gateway.db.base import floor_hour, utcnow
from gateway.db.engine import SessionMaker
from gateway.flood.counter import expire as expire_flood_marks
from gateway.ops.loop import repeat
from gateway.reports.week_counts import fold_moves
from gateway.ussd.models import UssdSession

# Operators end a USSD session after a few minutes at most; past this, nothing will come.
MIN_IDLE = timedelta(minutes=5)
BATCH = 500


async def close_idle_sessions(db: AsyncSession, idle_since: datetime) -> int:
    """Sessions with no hop since `idle_since` and no end: closed, their inputs and state dropped."""
    rows = list(
        (
            await db.execute(
                select(UssdSession)
                .where(UssdSession.ended_at.is_(None), UssdSession.updated_at < idle_since)
                .order_by(UssdSession.id)
                .limit(BATCH)
            )
        ).scalars()
    )
    for row in rows:
        if row.in_report:
            # A report never sent: nothing of it, not even whose it was, is kept.
            row.phone_hash = ""
            row.contact_id = None
            row.resumed_from = None
        row.state = {}
        row.last_text = ""
        row.last_response = ""
        row.in_report = False
        row.outcome = row.outcome or "dropped"
        row.ended_at = floor_hour(row.updated_at)
        row.started_at = floor_hour(row.started_at)
        row.updated_at = floor_hour(row.updated_at)
    return len(rows)


@dataclass(frozen=True)
class ConsoleLimits:
    idle: timedelta
    absolute: timedelta


class Sweeper:
    def __init__(
        self,
        sessionmaker: SessionMaker,
        resume_window_s: int,
        console: ConsoleLimits,
        idle_s: float = 60.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.idle_after = max(timedelta(seconds=resume_window_s), MIN_IDLE) + timedelta(minutes=1)
        self.console = console
        self.idle_s = idle_s

    async def step(self) -> int:
        """One pass; the number of sessions closed (a full batch means: go again at once)."""
        now = utcnow()
        async with self.sessionmaker() as db, db.begin():
            await expire_flood_marks(db, now)
            await expire_sessions(db, now, idle=self.console.idle, absolute=self.console.absolute)
            await expire_invitations(db, now)
            closed = await close_idle_sessions(db, now - self.idle_after)
            await fold_moves(db)
        return closed if closed >= BATCH else 0

    async def run(self, stop: asyncio.Event) -> None:
        await repeat("retention sweep", self.step, stop, self.idle_s)
