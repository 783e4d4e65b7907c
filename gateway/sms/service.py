"""Incoming SMS: commands, reports, follow-ups; every answer goes out through the outbox."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.directory import CachedDirectory
from gateway.broadcasts.service import record_rsvp, subscribe
from gateway.committees.notify import CommitteeNotifier
from gateway.contacts.models import Contact
from gateway.contacts.service import get_or_create_contact
from gateway.db.base import utcnow
from gateway.i18n.catalogs import Catalogs
from gateway.i18n.text import fill
from gateway.outbox.service import Outbox
from gateway.reports.corrections import place_report
from gateway.reports.models import Report
from gateway.reports.service import NewReport, create_report
from gateway.security.keys import PhoneVault
from gateway.sms.detect import detect_language
from gateway.sms.keywords import Command, Keywords
from gateway.sms.models import InboundMessage
from gateway.sms.places import ANSWER_WORDS, SmsPlaces

log = logging.getLogger(__name__)
MIN_REPORT_CHARS = 3
# A sender who only says thanks (or sends an emoji) gets the help text at most this often.
COURTESY_HELP_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class IncomingSms:
    """What every aggregator's incoming-SMS callback boils down to."""

    provider: str
    external_id: str
    phone: str  # E.164
    text: str
    to: str = ""
    received_at: datetime | None = None


class SmsService:
    def __init__(
        self,
        vault: PhoneVault,
        outbox: Outbox,
        catalogs: Catalogs,
        keywords: Keywords,
        notifier: CommitteeNotifier,
        directory: CachedDirectory,
        followup_window_s: int,
        flood_per_min: int = 10,
        followup_ack_interval_s: int = 300,
    ) -> None:
        self.flood_per_min = flood_per_min
        self.places = SmsPlaces(directory)
        self.followup_ack_interval = timedelta(seconds=followup_ack_interval_s)
        self.notifier = notifier
        self.vault = vault
        self.outbox = outbox
        self.catalogs = catalogs
        self.keywords = keywords
        self.followup_window = timedelta(seconds=followup_window_s)

    async def receive(self, db: AsyncSession, sms: IncomingSms) -> InboundMessage | None:
        """Stores and answers one message; None when the provider had sent this one already."""
        contact = await get_or_create_contact(db, self.vault, sms.phone)
        inbound = InboundMessage(
            provider=sms.provider,
            external_id=sms.external_id,
            received_at=sms.received_at or utcnow(),
            contact_id=contact.id,
            to_code=sms.to[:32],
            text=sms.text,
        )
        try:
            async with db.begin_nested():
                db.add(inbound)
        except IntegrityError:
            return None
        command = self.keywords.parse(sms.text)
        recent = await self._recent(db, contact.id)
        # STOP is honoured always, flood or not: someone who wants no more messages must not be
        # told to wait first.
        if recent > self.flood_per_min and command.kind != "stop":
            # Kept, but not acted on; the sender hears why once, then nothing until it calms down.
            inbound.intent = "flood"
            if recent == self.flood_per_min + 1:
                await self._reply(db, sms.phone, contact, "sms.flood")
            return inbound
        if contact.language is None:
            # The keyword's own language says most; otherwise guess from the words and the country,
            # but only from words: a reference such as R-BE6M says nothing (and "be" is Manding).
            words = command.kind in ("text", "report")
            contact.language = command.language or (detect_language(sms.text, sms.phone) if words else None)
        inbound.language = contact.language
        inbound.intent = command.kind
        await self._act(db, sms, contact, command, inbound)
        return inbound

    async def _recent(self, db: AsyncSession, contact_id: int) -> int:
        since = utcnow() - timedelta(minutes=1)
        result = await db.execute(
            select(func.count()).where(
                InboundMessage.contact_id == contact_id, InboundMessage.received_at >= since
            )
        )
        return int(result.scalar_one())

    async def _act(
        self, db: AsyncSession, sms: IncomingSms, contact: Contact, command: Command, inbound: InboundMessage
    ) -> None:
        if command.kind in ("ack", "info"):
            # Committee members answer alerts and summaries: OK R-7K3F, INFO R-7K3F.
            result = await self.notifier.member_command(
                db, self.vault.lookup_hashes(sms.phone), command.kind, command.reference
            )
            await self._reply(
                db, sms.phone, contact, result.msgid, language=result.language, extra=result.values
            )
        elif command.kind == "rsvp":
            answered = await record_rsvp(db, contact.id, command.rest)
            msgid = "sms.rsvp.none" if answered is None else f"sms.rsvp.{command.rest}"
            await self._reply(db, sms.phone, contact, msgid)
        elif command.kind == "subscribe":
            await self._subscribe(db, sms, contact, command.rest)
        elif command.kind == "stop":
            contact.opted_out_at = contact.opted_out_at or utcnow()
            await self._reply(db, sms.phone, contact, "sms.stopped")
        elif command.kind == "start":
            contact.opted_out_at = None
            await self._reply(db, sms.phone, contact, "sms.started")
        elif command.kind == "help":
            await self._reply(db, sms.phone, contact, "sms.help")
        elif command.kind == "language":
            chosen = self.keywords.language_named(command.rest) if command.rest else None
            if chosen is None:
                await self._reply(db, sms.phone, contact, "sms.language.unknown")
            else:
                contact.language = inbound.language = chosen
                await self._reply(db, sms.phone, contact, "sms.language.set")
        elif command.kind == "status" and not command.tentative:
            await self._status(db, sms, contact, inbound, command.reference)
        elif command.kind == "status" and await self._find(db, command.reference):
            await self._status(db, sms, contact, inbound, command.reference)
        else:
            if command.kind == "status":
                command = Command("text", sms.text.strip())
                inbound.intent = "text"
            if command.kind == "text" and await self._place_answer(db, sms, contact, inbound):
                return
            if command.kind == "text" and self.keywords.is_courtesy(command.rest):
                await self._courtesy(db, sms, contact, inbound)
                return
            await self._report(db, sms, contact, command, inbound)

    async def _subscribe(self, db: AsyncSession, sms: IncomingSms, contact: Contact, place: str) -> None:
        if not place:
            if contact.home_area_id is None:
                await self._reply(db, sms.phone, contact, "sms.subscribe.where")
                return
            home = (await self.places.directory.get(db)).get(contact.home_area_id)
            if home is not None:
                await self._subscribed(db, sms, contact, home.id, await self.places.describe(db, home))
            return
        match = await self.places.find(db, place, sms.phone, contact, whole=True)
        if match.place is not None:
            contact.home_area_id = contact.home_area_id or match.place.id
            await self._subscribed(
                db, sms, contact, match.place.id, await self.places.describe(db, match.place)
            )
        elif match.ambiguous:
            options = await self.places.options(db, match, prefix="AVIS ")
            name = match.candidates[0].name
            await self._reply(db, sms.phone, contact, "sms.subscribe.which", place=name, options=options)
        else:
            await self._reply(
                db, sms.phone, contact, "sms.subscribe.unknown", place=" ".join(place.split())[:40]
            )

    async def _subscribed(
        self, db: AsyncSession, sms: IncomingSms, contact: Contact, area_id: int, place: str
    ) -> None:
        await subscribe(db, contact.id, area_id, "sms")
        await self._reply(db, sms.phone, contact, "sms.subscribed", place=place)

    async def _place_answer(
        self, db: AsyncSession, sms: IncomingSms, contact: Contact, inbound: InboundMessage
    ) -> bool:
        """The sender was asked where their report happened: is this the answer? Not a place at
        all, and it is read as anything else would be (we asked once; we do not ask again)."""
        report = await self.places.awaiting_answer(db, contact)
        if report is None:
            return False
        text = sms.text.strip()
        match = await self.places.find(db, text, sms.phone, contact, whole=len(text.split()) <= ANSWER_WORDS)
        if match.place is None and not match.ambiguous:
            return False
        inbound.report_id, inbound.intent = report.id, "place"
        if match.place is None:
            options = await self.places.options(db, match)
            await self._reply(db, sms.phone, contact, "sms.report.which", options=options)
            return True
        directory = await self.places.directory.get(db)
        await place_report(db, self.notifier, directory, report, match.place.id, "reporter")
        contact.home_area_id = contact.home_area_id or match.place.id
        place = await self.places.describe(db, match.place)
        await self._reply(
            db, sms.phone, contact, "sms.report.placed", reference=report.reference, place=place
        )
        return True

    async def _courtesy(
        self, db: AsyncSession, sms: IncomingSms, contact: Contact, inbound: InboundMessage
    ) -> None:
        """Thanks, a greeting, an emoji: no report. Someone with nothing open hears, at most once a
        day, what the number is for; someone who just reported, nothing."""
        inbound.intent = "courtesy"
        if await self._open_report(db, contact) is not None:
            return
        since = utcnow() - COURTESY_HELP_EVERY
        earlier = await db.execute(
            select(func.count()).where(
                InboundMessage.contact_id == contact.id,
                InboundMessage.intent == "courtesy",
                InboundMessage.received_at >= since,
                InboundMessage.id != inbound.id,
            )
        )
        if int(earlier.scalar_one()) == 0:
            await self._reply(db, sms.phone, contact, "sms.help")

    @staticmethod
    async def _find(db: AsyncSession, reference: str | None) -> Report | None:
        if not reference:
            return None
        return (await db.execute(select(Report).where(Report.reference == reference))).scalar_one_or_none()

    async def _status(
        self,
        db: AsyncSession,
        sms: IncomingSms,
        contact: Contact,
        inbound: InboundMessage,
        reference: str | None,
    ) -> None:
        report = await self._find(db, reference)
        if report is None:
            await self._reply(db, sms.phone, contact, "sms.status.unknown", reference=reference or "?")
            return
        # The stored question must not say which report this number asked about: for an anonymous
        # one, that is the very link anonymity removes. The same for every report, so that what
        # is stored does not tell the anonymous ones apart.
        inbound.text = inbound.text.replace(report.reference, "R-****")
        tr = self.catalogs.translator(contact.language or "fr")
        status = tr.gettext(f"report_status.{report.status}")
        if report.contact_id is not None and report.contact_id == contact.id:
            # The reporter's own number: status and date.
            date = report.created_at.strftime("%d/%m/%Y")
            await self._reply(
                db,
                sms.phone,
                contact,
                "sms.status.reply",
                reference=report.reference,
                status=status,
                date=date,
            )
            return
        # Anyone else, and anyone at all for an anonymous report (whose reporter we cannot tell
        # from a stranger): the status word only, and the answer leaves no row once sent.
        await self._reply(
            db,
            sms.phone,
            contact,
            "sms.status.brief",
            reference=report.reference,
            status=status,
            scrub_after_send=report.anonymous,
        )

    async def _report(
        self, db: AsyncSession, sms: IncomingSms, contact: Contact, command: Command, inbound: InboundMessage
    ) -> None:
        text = " ".join(command.rest.split())
        if command.kind == "text":
            open_report = await self._open_report(db, contact)
            if open_report is not None:
                # A second text soon after the first is more about the same thing, not a new report.
                open_report.description = f"{open_report.description}\n{text}"
                inbound.report_id = open_report.id
                if await self._acknowledged_lately(db, open_report):
                    inbound.intent = "followup-quiet"  # added, not acknowledged again
                else:
                    inbound.intent = "followup"
                    await self._reply(db, sms.phone, contact, "sms.followup", reference=open_report.reference)
                return
        if len(text) < MIN_REPORT_CHARS:
            await self._reply(db, sms.phone, contact, "sms.help")
            return
        match = await self.places.find(db, text, sms.phone, contact, whole=False)
        report = await create_report(
            db,
            NewReport(
                channel="sms",
                language=contact.language or "fr",
                topic="other",
                area_id=match.place.id if match.place else None,
                urgency="urgent" if self.keywords.is_urgent(text) else "information",
                description=text,
                anonymous=False,
                contact_id=contact.id,
            ),
        )
        inbound.report_id = report.id
        inbound.intent = "report"
        if match.place is not None:
            contact.home_area_id = contact.home_area_id or match.place.id
            await self._reply(
                db, sms.phone, contact, "sms.receipt", kind="receipt", reference=report.reference
            )
            await self.notifier.report_created(db, report)
            return
        # No place we know: the receipt asks where, once. An urgent report does not wait for the
        # answer for long (committees/placeless.py).
        report.place_asked_at = utcnow()
        if match.ambiguous:
            options = await self.places.options(db, match)
            await self._reply(
                db,
                sms.phone,
                contact,
                "sms.receipt.which",
                kind="receipt",
                reference=report.reference,
                options=options,
            )
        else:
            await self._reply(
                db, sms.phone, contact, "sms.receipt.where", kind="receipt", reference=report.reference
            )

    async def _acknowledged_lately(self, db: AsyncSession, report: Report) -> bool:
        """Whether a follow-up of this report was acknowledged within the interval: one "added to
        your report" for a burst of texts, not one each."""
        since = utcnow() - self.followup_ack_interval
        earlier = await db.execute(
            select(func.count()).where(
                InboundMessage.report_id == report.id,
                InboundMessage.intent == "followup",
                InboundMessage.received_at >= since,
            )
        )
        return int(earlier.scalar_one()) > 0

    async def _open_report(self, db: AsyncSession, contact: Contact) -> Report | None:
        if self.followup_window.total_seconds() <= 0:
            return None
        since = utcnow() - self.followup_window
        result = await db.execute(
            select(Report)
            .where(Report.contact_id == contact.id, Report.channel == "sms", Report.created_at >= since)
            .order_by(Report.created_at.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def _reply(
        self,
        db: AsyncSession,
        phone: str,
        contact: Contact,
        msgid: str,
        *,
        kind: str = "reply",
        language: str | None = None,
        scrub_after_send: bool = False,
        extra: Mapping[str, str] | None = None,
        **values: str,
    ) -> None:
        language = language or contact.language or "fr"
        text = fill(self.catalogs.translator(language).gettext(msgid), {**(extra or {}), **values})
        await self.outbox.enqueue(
            db,
            phone=phone,
            text=text,
            language=language,
            kind=kind,
            contact_id=None if scrub_after_send else contact.id,
            scrub_after_send=scrub_after_send,
        )
