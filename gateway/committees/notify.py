"""What committees hear about single reports: urgent alerts out, acknowledgements and INFO in,
and the reporter told when someone has heard them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.coverage import area_and_ancestors, communes_under
from gateway.areas.directory import AreaDirectory, CachedDirectory
from gateway.committees.models import Committee, CommitteeArea, CommitteeMember
from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.i18n.catalogs import Catalogs, Translator
from gateway.i18n.dates import day_month
from gateway.i18n.text import excerpt, fill
from gateway.outbox.service import Outbox
from gateway.reports.models import Report, ReportEvent
from gateway.reports.status import acknowledge, forward
from gateway.security.keys import PhoneVault
from gateway.security.phone import region_of

EXCERPT = 60
INFO_TEXT = 400


@dataclass(frozen=True)
class AckResult:
    msgid: str
    values: dict[str, str]
    language: str | None = None  # the member's, when the sender is one


class CommitteeNotifier:
    def __init__(
        self,
        outbox: Outbox,
        catalogs: Catalogs,
        vault: PhoneVault,
        directory: CachedDirectory,
        locales_dir: Path,
        notices_per_day: int = 3,
    ) -> None:
        self.notices_per_day = notices_per_day
        self.outbox = outbox
        self.catalogs = catalogs
        self.vault = vault
        self.directory = directory
        self.locales_dir = locales_dir

    async def report_created(self, db: AsyncSession, report: Report) -> int:
        """An urgent report goes at once to the members who take alerts for its place."""
        if report.urgency != "urgent" or report.area_id is None:
            return 0
        directory = await self.directory.get(db)
        members = await self.members_for(db, area_and_ancestors(directory, report.area_id), alerts=True)
        place = directory.get(report.area_id)
        return await self.alert(db, report, members, lambda _tr: place.name if place else "-")

    async def place_changed(self, db: AsyncSession, report: Report, previous_area: int | None) -> int:
        """An urgent report placed (or moved) after it was made reaches the members of its new place
        that the alert so far had not reached, as it would have had it been placed at once."""
        if report.urgency != "urgent" or report.area_id is None or report.area_id == previous_area:
            return 0
        directory = await self.directory.get(db)
        members = await self.members_for(db, area_and_ancestors(directory, report.area_id), alerts=True)
        if previous_area is not None and report.alerted_at is not None:
            told = await self.members_for(db, area_and_ancestors(directory, previous_area), alerts=True)
            already = {m.id for m in told}
            members = [m for m in members if m.id not in already]
        place = directory.get(report.area_id)
        return await self.alert(db, report, members, lambda _tr: place.name if place else "-")

    async def committee_named(self, db: AsyncSession, report: Report, committee_id: int | None) -> str | None:
        """The committee a reporter hears has their report: `committee_id`'s (the acting member's),
        else the first, by id, whose areas hold the report's commune; None for a report without a
        place that no member named."""
        if committee_id is None and report.area_id is not None:
            directory = await self.directory.get(db)
            committee_id = (
                await db.execute(
                    select(CommitteeArea.committee_id)
                    .where(CommitteeArea.area_id.in_(area_and_ancestors(directory, report.area_id)))
                    .order_by(CommitteeArea.committee_id)
                    .limit(1)
                )
            ).scalar_one_or_none()
        committee = await db.get(Committee, committee_id) if committee_id is not None else None
        return committee.name if committee is not None else None

    async def alert(
        self,
        db: AsyncSession,
        report: Report,
        members: list[CommitteeMember],
        place: Callable[[Translator], str],
    ) -> int:
        """The urgent alert to `members`, each in their language; `place` words the place for them."""
        for member in members:
            tr = self.catalogs.translator(member.language)
            text = fill(
                tr.gettext("alert.urgent"),
                {
                    "reference": report.reference,
                    "topic": tr.gettext(f"topic.{report.topic}"),
                    "place": place(tr),
                    "excerpt": excerpt(report.description, EXCERPT),
                },
            )
            await self.outbox.enqueue(
                db,
                phone=self.vault.decrypt(member.phone_encrypted),
                text=text,
                language=member.language,
                kind="alert",
            )
        if not members:
            return 0
        report.alerted_at = report.alerted_at or utcnow()
        forward(db, report, "urgent alert")
        return len(members)

    async def members_for(
        self, db: AsyncSession, area_ids: list[int], *, alerts: bool
    ) -> list[CommitteeMember]:
        query = (
            select(CommitteeMember)
            .join(CommitteeArea, CommitteeArea.committee_id == CommitteeMember.committee_id)
            .where(CommitteeArea.area_id.in_(area_ids))
            .order_by(CommitteeMember.id)
        )
        if alerts:
            query = query.where(CommitteeMember.receives_alerts.is_(True))
        seen: dict[str, CommitteeMember] = {}
        for member in (await db.execute(query)).scalars():
            # One alert per phone, however many committees. During a key rotation one phone's
            # memberships may be under different keys' hashes: the number itself tells them apart.
            key = self.vault.decrypt(member.phone_encrypted) if self.vault.rotating else member.phone_hash
            seen.setdefault(key, member)
        return list(seen.values())

    async def member_command(
        self, db: AsyncSession, phone_hashes: tuple[str, ...], kind: str, reference: str | None
    ) -> AckResult:
        """OK or INFO from a committee member's phone (`phone_hashes`: its hash under every configured
        key, PhoneVault.lookup_hashes); anything wrong is answered, nothing changes."""
        memberships = list(
            (
                await db.execute(
                    select(CommitteeMember)
                    .where(CommitteeMember.phone_hash.in_(phone_hashes))
                    .order_by(CommitteeMember.id)
                )
            ).scalars()
        )
        if not memberships:
            return AckResult("sms.member.unknown", {})
        report = None
        if reference:
            report = (
                await db.execute(select(Report).where(Report.reference == reference))
            ).scalar_one_or_none()
        if report is None:
            return AckResult("sms.status.unknown", {"reference": reference or "?"}, memberships[0].language)
        directory = await self.directory.get(db)
        member = await self._member_covering(db, directory, memberships, report)
        if member is None:
            return AckResult("sms.member.not_yours", {"reference": report.reference}, memberships[0].language)
        if kind == "info":
            db.add(ReportEvent(report_id=report.id, kind="info", member_id=member.id, actor=member.name))
            tr = self.catalogs.translator(member.language)
            place = directory.get(report.area_id)
            return AckResult(
                "sms.member.info",
                {
                    "reference": report.reference,
                    "topic": tr.gettext(f"topic.{report.topic}"),
                    "place": place.name if place else "-",
                    "date": day_month(report.created_at.date(), member.language, self.locales_dir),
                    "text": excerpt(report.description, INFO_TEXT),
                },
                member.language,
            )
        if acknowledge(db, report, member.id, member.name):
            committee = await db.get(Committee, member.committee_id)
            await self.tell_reporter(
                db, report, "sms.reporter.acked", member.name, committee=committee.name if committee else ""
            )
        return AckResult("sms.member.acked", {"reference": report.reference}, member.language)

    async def _member_covering(
        self, db: AsyncSession, directory: AreaDirectory, memberships: list[CommitteeMember], report: Report
    ) -> CommitteeMember | None:
        # A report still without a place was alerted to the committees of its sender's country
        # (committees/placeless.py): any of them may answer it.
        country = await self.reporter_country(db, report) if report.area_id is None else None
        for member in memberships:
            areas = (
                await db.execute(
                    select(CommitteeArea.area_id).where(CommitteeArea.committee_id == member.committee_id)
                )
            ).scalars()
            communes = communes_under(directory, list(areas))
            if report.area_id is not None and report.area_id in communes:
                return member
            if (
                country
                and report.alerted_at
                and any(directory.places[c].country == country for c in communes)
            ):
                return member
        return None

    async def reporter_country(self, db: AsyncSession, report: Report) -> str | None:
        """The country of the number a named report came from (ML, BF), from its prefix."""
        contact = await db.get(Contact, report.contact_id) if report.contact_id is not None else None
        return region_of(self.vault.decrypt(contact.phone_encrypted)) if contact is not None else None

    async def tell_reporter(
        self, db: AsyncSession, report: Report, msgid: str, actor: str = "", **values: str
    ) -> bool:
        """Only a report that kept its contact can be answered; an anonymous one never is. Each
        message is a `told` event, and a reporter gets at most `notices_per_day` about one report
        in a day, however often its status moves."""
        if report.anonymous or report.contact_id is None:
            return False
        recent = (
            await db.execute(
                select(func.count()).where(
                    ReportEvent.report_id == report.id,
                    ReportEvent.kind == "told",
                    ReportEvent.at >= utcnow() - timedelta(days=1),
                )
            )
        ).scalar_one()
        if recent >= self.notices_per_day:
            return False
        contact = await db.get(Contact, report.contact_id)
        if contact is None:
            return False
        language = contact.language or report.language
        text = fill(
            self.catalogs.translator(language).gettext(msgid), {"reference": report.reference, **values}
        )
        await self.outbox.enqueue(
            db,
            phone=self.vault.decrypt(contact.phone_encrypted),
            text=text,
            language=language,
            kind="reply",
            contact_id=contact.id,
        )
        db.add(ReportEvent(report_id=report.id, kind="told", actor=actor))
        return True
