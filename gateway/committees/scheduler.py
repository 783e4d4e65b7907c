"""The summary scheduler: driven by each committee's due time in the database.

It runs beside the dispatcher (in `gateway serve` with SQLite, in every `gateway worker`
otherwise). A due committee is claimed with FOR UPDATE SKIP LOCKED, and the period is recorded
with a unique (committee, period end) in the same transaction as its messages, so two workers
never send the same period. After downtime the next summary covers everything since the last
one: one message, not a burst.

The committees due in one pass share its end, and so, after their first summary, their periods:
the reports are counted once per period for all of them (summary.count_places), not once per
committee, which read the reports of a commune again for every committee covering it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.coverage import communes_under
from gateway.areas.directory import CachedDirectory
from gateway.committees.models import Committee, CommitteeArea, CommitteeMember, Digest
from gateway.committees.schedule import parse_schedule
from gateway.committees.summary import (
    PlaceCounts,
    Summary,
    compute_summary,
    count_places,
    render_summary,
    summary_from,
)
from gateway.config import Settings
from gateway.db.base import utcnow
from gateway.db.engine import SessionMaker
from gateway.i18n.catalogs import Catalogs
from gateway.ops.loop import repeat
from gateway.ops.metrics import DIGESTS_SENT
from gateway.outbox.service import Outbox
from gateway.reports.status import forward_summarised
from gateway.security.keys import PhoneVault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestNow:
    """One committee's summary for the period up to now, as `gateway digest run` sends or shows it."""

    committee: str
    start: datetime
    end: datetime
    # Members who take summaries, by language; none means nothing was sent or recorded.
    members: dict[str, int]
    # The text per language; empty after a send when the period had been recorded already.
    texts: dict[str, str] = field(default_factory=dict)
    next_at: datetime | None = None


class DigestScheduler:
    def __init__(
        self,
        sessionmaker: SessionMaker,
        outbox: Outbox,
        catalogs: Catalogs,
        vault: PhoneVault,
        directory: CachedDirectory,
        settings: Settings,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.outbox = outbox
        self.catalogs = catalogs
        self.vault = vault
        self.directory = directory
        self.settings = settings

    async def run(self, stop: asyncio.Event) -> None:
        await repeat("digest pass", self._pass, stop, self.settings.digest_poll_s)

    async def _pass(self) -> int:
        await self.run_due()
        return 0  # whatever was due is done: wait for the next poll

    async def run_due(self, now: datetime | None = None) -> int:
        """Summarise every committee whose time has come; returns how many were summarised."""
        # One end for the whole pass, so that the committees summarised together share a period.
        moment = now or utcnow()
        counted = await self.count_due(moment)
        done = 0
        while True:
            async with self.sessionmaker() as db, db.begin():
                committee = (
                    await db.execute(
                        select(Committee)
                        .where(Committee.next_digest_at <= moment)
                        .order_by(Committee.next_digest_at, Committee.id)
                        .limit(1)
                        .with_for_update(skip_locked=True)
                    )
                ).scalar_one_or_none()
                if committee is None:
                    return done
                await self.summarise(db, committee, moment, send=True, counted=counted)
                done += 1

    async def count_due(self, moment: datetime) -> list[PlaceCounts]:
        """The reports counted once for the committees due at `moment`, one pass per period that two
        or more of them share. Counted before they are claimed, in a read of its own: a summary
        says what the reports were a few seconds earlier at most, as if its pass had run faster. A
        committee whose period is not among these (alone in it, or summarised meanwhile by another
        worker, so it starts elsewhere) is counted by itself when it is claimed."""
        async with self.sessionmaker() as db:
            due = list(
                (await db.execute(select(Committee).where(Committee.next_digest_at <= moment))).scalars()
            )
            if len(due) < 2:
                return []
            directory = await self.directory.get(db)
            areas: dict[int, list[int]] = {}
            rows = await db.execute(
                select(CommitteeArea.committee_id, CommitteeArea.area_id).where(
                    CommitteeArea.committee_id.in_([c.id for c in due])
                )
            )
            for committee_id, area_id in rows:
                areas.setdefault(committee_id, []).append(area_id)
            periods: dict[datetime, list[set[int]]] = {}
            for committee in due:
                communes = communes_under(directory, areas.get(committee.id, []))
                periods.setdefault(period_start(committee, moment), []).append(communes)
            return [
                await count_places(db, set().union(*shared), start, moment)
                for start, shared in periods.items()
                if len(shared) > 1
            ]

    async def summary_now(self, committee_id: int, *, send: bool, now: datetime | None = None) -> DigestNow:
        """A committee's summary for the period since its last one, due or not. Sent, it is recorded
        as a scheduled one is: the next scheduled summary starts where this one ends. Not sent,
        nothing is written (the session is closed without a commit)."""
        async with self.sessionmaker() as db:
            query = select(Committee).where(Committee.id == committee_id)
            # Waits (no SKIP LOCKED) for a scheduler pass summarising it at this moment, so that
            # this period starts where that one ended instead of covering its reports again.
            committee = (await db.execute(query.with_for_update() if send else query)).scalar_one()
            end = now or utcnow()
            start = period_start(committee, end)
            rows = await db.execute(
                select(CommitteeMember.language, func.count())
                .where(
                    CommitteeMember.committee_id == committee.id,
                    CommitteeMember.receives_summaries.is_(True),
                )
                .group_by(CommitteeMember.language)
            )
            members: dict[str, int] = dict(rows.all())
            if send and not members:
                # Recorded as sent to nobody, the period would be lost to the next summary.
                return DigestNow(committee.name, start, end, members)
            texts = await self.summarise(db, committee, end, send=send)
            if not send:
                return DigestNow(committee.name, start, end, members, texts)
            await db.commit()
            return DigestNow(committee.name, start, end, members, texts, committee.next_digest_at)

    async def summarise(
        self,
        db: AsyncSession,
        committee: Committee,
        end: datetime,
        *,
        send: bool,
        languages: list[str] | None = None,
        counted: Sequence[PlaceCounts] = (),
    ) -> dict[str, str]:
        """The summary in each language its members read (and, with `send`, queued to them)."""
        schedule = parse_schedule(committee.schedule, committee.timezone)
        summary, communes = await self.summary_of(db, committee, end, counted)
        start = summary.start
        members = list(
            (
                await db.execute(
                    select(CommitteeMember).where(
                        CommitteeMember.committee_id == committee.id,
                        CommitteeMember.receives_summaries.is_(True),
                    )
                )
            ).scalars()
        )
        texts: dict[str, str] = {}
        for language in languages or sorted({m.language for m in members} or {"fr"}):
            texts[language] = render_summary(
                summary,
                self.catalogs.translator(language),
                language,
                self.settings.locales_dir,
                self.settings.sms_gsm7,
            )
        if not send:
            return texts
        try:
            async with db.begin_nested():
                db.add(
                    Digest(
                        committee_id=committee.id,
                        period_start=start,
                        period_end=end,
                        total=summary.total,
                        messages=len(members),
                    )
                )
        except IntegrityError:
            log.warning("summary of %s up to %s exists already; not sent again", committee.name, end)
            return {}
        for member in members:
            await self.outbox.enqueue(
                db,
                phone=self.vault.decrypt(member.phone_encrypted),
                text=texts[member.language],
                language=member.language,
                kind="summary",
            )
        if communes:
            await forward_summarised(db, communes, start, end)
        DIGESTS_SENT.inc()
        committee.last_digest_until = end
        committee.next_digest_at = schedule.next_after(end)
        log.info("summary of %s: %d report(s), %d member(s)", committee.name, summary.total, len(members))
        return texts

    async def summary_of(
        self, db: AsyncSession, committee: Committee, end: datetime, counted: Sequence[PlaceCounts] = ()
    ) -> tuple[Summary, set[int]]:
        """The committee's summary of the period up to `end`, from `counted` when one of them covers
        it, and the communes it covers."""
        start = period_start(committee, end)
        directory = await self.directory.get(db)
        area_ids = list(
            (
                await db.execute(
                    select(CommitteeArea.area_id).where(CommitteeArea.committee_id == committee.id)
                )
            ).scalars()
        )
        communes = communes_under(directory, area_ids)
        min_reports = self.settings.digest_min_place_reports
        for counts in counted:
            if counts.covers(communes, start, end):
                return summary_from(counts, committee.name, communes, directory, min_reports), communes
        summary = await compute_summary(db, committee.name, communes, start, end, directory, min_reports)
        return summary, communes


def period_start(committee: Committee, end: datetime) -> datetime:
    """Where a committee's next summary starts: where its last one ended, or one period before `end`."""
    if committee.last_digest_until is not None:
        return committee.last_digest_until
    return end - parse_schedule(committee.schedule, committee.timezone).period
