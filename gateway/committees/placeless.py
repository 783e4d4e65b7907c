"""Urgent SMS reports whose sender did not say where in time still reach someone.

A report texted without a place makes its sender be asked where (once). An urgent one cannot wait
for an answer that may never come: after GATEWAY_SMS_PLACE_WAIT_S it is alerted to the committees
of the sender's usual commune — which becomes its place, marked unconfirmed — or, when none is
known, to every committee of the sender's country, flagged as placeless either way. An answer or
an organiser's correction later moves it to its real place (CommitteeNotifier.place_changed)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.coverage import area_and_ancestors, communes_under
from gateway.committees.models import CommitteeArea, CommitteeMember
from gateway.committees.notify import CommitteeNotifier
from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.db.engine import SessionMaker
from gateway.i18n.catalogs import Translator
from gateway.i18n.text import fill
from gateway.ops.loop import repeat
from gateway.reports.models import Report

log = logging.getLogger(__name__)
BATCH = 50


class PlacelessAlerts:
    def __init__(
        self, sessionmaker: SessionMaker, notifier: CommitteeNotifier, wait_s: int, poll_s: float = 15.0
    ) -> None:
        self.sessionmaker = sessionmaker
        self.notifier = notifier
        self.wait = timedelta(seconds=wait_s)
        self.poll_s = poll_s

    async def run(self, stop: asyncio.Event) -> None:
        await repeat("placeless urgent reports", self.step, stop, self.poll_s)

    async def step(self) -> int:
        async with self.sessionmaker() as db, db.begin():
            overdue = list(
                (
                    await db.execute(
                        select(Report)
                        .where(
                            Report.urgency == "urgent",
                            Report.area_id.is_(None),
                            Report.alerted_at.is_(None),
                            Report.place_asked_at < utcnow() - self.wait,
                        )
                        .order_by(Report.id)
                        .limit(BATCH)
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
            )
            for report in overdue:
                await self.route(db, report)
        return len(overdue) if len(overdue) >= BATCH else 0

    async def route(self, db: AsyncSession, report: Report) -> int:
        directory = await self.notifier.directory.get(db)
        contact = await db.get(Contact, report.contact_id) if report.contact_id is not None else None
        home = directory.get(contact.home_area_id) if contact is not None else None
        if home is not None:
            report.area_id, report.place_confirmed, report.placed_at = home.id, False, utcnow()
            members = await self.notifier.members_for(db, area_and_ancestors(directory, home.id), alerts=True)

            def place(tr: Translator) -> str:
                return fill(tr.gettext("alert.place_unconfirmed"), {"place": home.name})

        else:
            country = await self.notifier.reporter_country(db, report)
            members = await self._members_in(db, country)

            def place(tr: Translator) -> str:
                return tr.gettext("alert.place_unknown")

        sent = await self.notifier.alert(db, report, members, place)
        # Tried once, alerted or not: a country with no committee would otherwise be asked forever.
        report.alerted_at = report.alerted_at or utcnow()
        log.info("urgent report without a place alerted to %d member(s)", sent)
        return sent

    async def _members_in(self, db: AsyncSession, country: str | None) -> list[CommitteeMember]:
        if country is None:
            return []
        directory = await self.notifier.directory.get(db)
        rows = (await db.execute(select(CommitteeArea.committee_id, CommitteeArea.area_id))).all()
        committees = {
            committee_id
            for committee_id, area_id in rows
            if any(directory.places[c].country == country for c in communes_under(directory, [area_id]))
        }
        if not committees:
            return []
        area_ids = [area_id for committee_id, area_id in rows if committee_id in committees]
        return await self.notifier.members_for(db, area_ids, alerts=True)
