"""Delivery reports: each provider status is kept with its time; the message moves forward only."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.outbox.models import DeliveryEvent, OutboundMessage
from gateway.security.keys import PhoneVault

log = logging.getLogger(__name__)
FINAL = ("delivered", "failed")


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
        return True  # the provider repeated itself
    if report.status is None:
        log.warning("delivery report with an unknown status %r kept as is", report.provider_status[:32])
        return True
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
    return True


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
