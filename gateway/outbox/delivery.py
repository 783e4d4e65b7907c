"""Delivery reports: each provider status is kept with its time; the message moves forward only."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.outbox.models import DeliveryEvent, OutboundMessage
from gateway.security.keys import PhoneVault

log = logging.getLogger(__name__)
FINAL = ("delivered", "failed")
# A final receipt for a number identical to one recorded this recently is the provider repeating it.
REPEAT_WINDOW_S = 120


@dataclass(frozen=True)
class DeliveryReport:
    provider_message_id: str
    provider_status: str
    status: str | None  # sent | delivered | failed, or None for a status we do not know
    failure_reason: str | None = None
    opted_out: bool = False


async def record_delivery(db: AsyncSession, report: DeliveryReport, vault: PhoneVault | None = None) -> bool:
    """False when no message has that provider id (a report for something we did not send).
    `vault` lets an opt-out find the contact under any configured key during a key rotation."""
    message = (
        await db.execute(
            select(OutboundMessage)
            .where(OutboundMessage.provider_message_id == report.provider_message_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if message is None:
        log.warning("delivery report for an unknown message id %s", report.provider_message_id[:64])
        return False
    await _apply(db, message, report, vault)
    return True


async def record_delivery_to_number(
    db: AsyncSession, provider: str, phone_hashes: Sequence[str], report: DeliveryReport
) -> bool:
    """For providers whose receipts name the number but not the message (Orange): the report goes
    to the oldest message sent through `provider` to that number before the report came and not
    yet settled (receipts come in the order the messages went). A final status identical to one
    recorded for that number less than REPEAT_WINDOW_S ago is taken as the provider repeating
    itself and changes nothing. False when there is no message (an anonymous receipt, gone once
    sent, or a number we never wrote to).

    What stays ambiguous: a genuine receipt for a second message to the same number with the same
    status within the window is taken as a repeat (that message stays `sent`: under-reported,
    never given another's status); a repeat arriving later than the window, while another message
    to that number waits, is given to that message; and receipts that overtake each other."""
    if not phone_hashes:
        return False
    now = utcnow()
    if report.status in FINAL:
        last = (
            await db.execute(
                select(DeliveryEvent.received_at)
                .join(OutboundMessage, OutboundMessage.id == DeliveryEvent.message_id)
                .where(
                    OutboundMessage.provider == provider,
                    OutboundMessage.phone_hash.in_(list(phone_hashes)),
                    DeliveryEvent.provider_status == report.provider_status[:32],
                )
                .order_by(DeliveryEvent.received_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if last is not None and last > now - timedelta(seconds=REPEAT_WINDOW_S):
            log.info("delivery report %s repeated for a number; ignored", report.provider_status[:32])
            return True
    message = (
        await db.execute(
            select(OutboundMessage)
            .where(
                OutboundMessage.provider == provider,
                OutboundMessage.phone_hash.in_(list(phone_hashes)),
                OutboundMessage.status == "sent",
                OutboundMessage.sent_at <= now,
            )
            .order_by(OutboundMessage.sent_at, OutboundMessage.id)
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if message is None:
        return False
    await _apply(db, message, report, None)
    return True


async def _apply(
    db: AsyncSession, message: OutboundMessage, report: DeliveryReport, vault: PhoneVault | None
) -> None:
    try:
        async with db.begin_nested():
            db.add(
                DeliveryEvent(
                    message_id=message.id,
                    provider_status=report.provider_status[:32],
                    status=report.status,
                    failure_reason=report.failure_reason,
                )
            )
    except IntegrityError:
        return  # the provider repeated itself
    if report.status is None:
        log.warning("delivery report with an unknown status %r kept as is", report.provider_status[:32])
        return
    now = utcnow()
    if message.status not in FINAL:
        if report.status == "delivered":
            message.status, message.delivered_at = "delivered", now
        elif report.status == "failed":
            message.status, message.failed_at = "failed", now
            message.failure_reason = (report.failure_reason or report.provider_status)[:64]
        elif message.status == "sending":
            message.status = "sent"
    if report.opted_out and message.phone_hash:
        await db.execute(
            update(Contact)
            .where(Contact.phone_hash.in_(_hashes(message, vault)), Contact.opted_out_at.is_(None))
            .values(opted_out_at=now)
        )


def _hashes(message: OutboundMessage, vault: PhoneVault | None) -> tuple[str, ...]:
    """The message's own hash, and while keys rotate its number's hash under every key: the
    message and its contact may each be under the old key or the new one."""
    if vault is None or not vault.rotating or not message.phone_encrypted:
        return (message.phone_hash,)
    try:
        return tuple(
            dict.fromkeys((message.phone_hash, *vault.lookup_hashes(vault.decrypt(message.phone_encrypted))))
        )
    except ValueError:
        return (message.phone_hash,)
