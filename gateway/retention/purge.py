"""Retention: what people wrote and who they are goes after a while; the counts stay."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.broadcasts.models import Broadcast, BroadcastRecipient, Subscription
from gateway.contacts.models import Contact
from gateway.db.base import rows_changed
from gateway.flood.counter import expire as expire_flood_marks
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report, ReportEvent
from gateway.sms.models import InboundMessage
from gateway.ussd.models import UssdSession

PURGED = "[purged]"
_AGE = re.compile(r"^(\d{1,5})([dhw])$")


def parse_age(text: str) -> timedelta:
    """'365d', '12w', '48h'."""
    match = _AGE.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r}: write a number of days, weeks or hours, e.g. 365d, 52w, 48h")
    number, unit = int(match.group(1)), match.group(2)
    age = {"d": timedelta(days=number), "w": timedelta(weeks=number), "h": timedelta(hours=number)}[unit]
    if age < timedelta(days=1):
        raise ValueError("keep at least a day: a shorter purge would remove messages still being sent")
    return age


@dataclass
class PurgeResult:
    reports: int = 0
    notes: int = 0
    inbound: int = 0
    outbound: int = 0
    sessions: int = 0
    rsvp_notes: int = 0
    contacts: int = 0


async def purge(db: AsyncSession, cutoff: datetime) -> PurgeResult:
    """Texts, message bodies and phone links older than `cutoff` are erased in place (the rows
    stay, so counts by topic, place, time and status are unchanged), and contacts that have had
    nothing to do with the service since then are deleted, with their subscriptions."""
    result = PurgeResult()
    result.reports = rows_changed(
        await db.execute(
            update(Report)
            .where(
                Report.created_at < cutoff, or_(Report.description != PURGED, Report.contact_id.is_not(None))
            )
            .values(description=PURGED, contact_id=None)
        )
    )
    # What an organiser or a member wrote about a report (it may quote the reporter).
    result.notes = rows_changed(
        await db.execute(
            update(ReportEvent)
            .where(ReportEvent.at < cutoff, ReportEvent.note.is_not(None), ReportEvent.note != PURGED)
            .values(note=PURGED)
        )
    )
    result.inbound = rows_changed(
        await db.execute(
            update(InboundMessage)
            .where(
                InboundMessage.received_at < cutoff,
                or_(InboundMessage.text != PURGED, InboundMessage.contact_id.is_not(None)),
            )
            .values(text=PURGED, contact_id=None)
        )
    )
    result.outbound = rows_changed(
        await db.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.created_at < cutoff,
                OutboundMessage.status.in_(("sent", "delivered", "failed")),
                or_(
                    OutboundMessage.body != "",
                    OutboundMessage.phone_encrypted != "",
                    OutboundMessage.phone_hash != "",
                    OutboundMessage.contact_id.is_not(None),
                    OutboundMessage.provider_message_id.is_not(None),
                ),
            )
            # The provider's message id is a key to its own records of the number.
            .values(
                body="",
                phone_encrypted="",
                phone_hash="",
                contact_id=None,
                provider_message_id=None,
                last_error=None,
            )
        )
    )
    # Every session, anonymous ones included (they kept their inputs until they ended).
    result.sessions = rows_changed(
        await db.execute(
            update(UssdSession)
            .where(
                UssdSession.started_at < cutoff,
                or_(
                    UssdSession.phone_hash != "",
                    UssdSession.contact_id.is_not(None),
                    UssdSession.last_text != "",
                    UssdSession.last_response != "",
                    UssdSession.resumed_from.is_not(None),
                    UssdSession.error_message.is_not(None),
                ),
            )
            .values(
                state={},
                last_text="",
                last_response="",
                phone_hash="",
                contact_id=None,
                resumed_from=None,
                error_message=None,
            )
        )
    )
    old_broadcasts = select(Broadcast.id).where(Broadcast.created_at < cutoff)
    result.rsvp_notes = rows_changed(
        await db.execute(
            update(BroadcastRecipient)
            .where(BroadcastRecipient.broadcast_id.in_(old_broadcasts), BroadcastRecipient.note.is_not(None))
            .values(note=None)
        )
    )
    result.contacts = await _delete_idle_contacts(db, cutoff)
    await expire_flood_marks(db)
    return result


async def _delete_idle_contacts(db: AsyncSession, cutoff: datetime) -> int:
    """A contact nobody has heard from or written to since `cutoff` goes, subscriptions and all;
    the rows that counted its old messages, reports and answers stay, without it."""
    idle = select(Contact.id).where(
        Contact.created_at < cutoff,
        Contact.updated_at < cutoff,
        ~exists().where(InboundMessage.contact_id == Contact.id, InboundMessage.received_at >= cutoff),
        ~exists().where(OutboundMessage.contact_id == Contact.id, OutboundMessage.created_at >= cutoff),
        ~exists().where(Report.contact_id == Contact.id, Report.created_at >= cutoff),
        ~exists().where(UssdSession.contact_id == Contact.id, UssdSession.started_at >= cutoff),
        ~exists().where(Subscription.contact_id == Contact.id, Subscription.created_at >= cutoff),
    )
    ids = list((await db.execute(idle)).scalars())
    deleted = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for model in (Report, InboundMessage, OutboundMessage, UssdSession, BroadcastRecipient):
            await db.execute(update(model).where(model.contact_id.in_(chunk)).values(contact_id=None))
        await db.execute(delete(Subscription).where(Subscription.contact_id.in_(chunk)))
        deleted += rows_changed(await db.execute(delete(Contact).where(Contact.id.in_(chunk))))
    return deleted
