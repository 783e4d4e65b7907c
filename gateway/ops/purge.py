"""Retention: what people wrote and who they are goes after a while; the counts stay."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
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
    inbound: int = 0
    outbound: int = 0
    sessions: int = 0


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge(db: AsyncSession, cutoff: datetime) -> PurgeResult:
    """Report texts, message bodies and phone links older than `cutoff` are erased in place: the
    rows stay, so counts by topic, place, time and status are unchanged."""
    result = PurgeResult()
    result.reports = _count(
        await db.execute(
            update(Report)
            .where(Report.created_at < cutoff, Report.description != PURGED)
            .values(description=PURGED, contact_id=None)
        )
    )
    result.inbound = _count(
        await db.execute(
            update(InboundMessage)
            .where(InboundMessage.received_at < cutoff, InboundMessage.text != PURGED)
            .values(text=PURGED, contact_id=None)
        )
    )
    result.outbound = _count(
        await db.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.created_at < cutoff,
                OutboundMessage.status.in_(("sent", "delivered", "failed")),
                OutboundMessage.body != "",
            )
            .values(body="", phone_encrypted="", phone_hash="", contact_id=None)
        )
    )
    result.sessions = _count(
        await db.execute(
            update(UssdSession)
            .where(UssdSession.started_at < cutoff, UssdSession.phone_hash != "")
            .values(state={}, last_text="", last_response="", phone_hash="", contact_id=None)
        )
    )
    return result
