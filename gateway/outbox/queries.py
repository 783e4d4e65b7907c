"""Reading and re-queueing outbox messages for organisers (numbers masked, bodies as sent)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.base import rows_changed, utcnow
from gateway.outbox.models import STATUSES, OutboundMessage


@dataclass(frozen=True)
class MessageView:
    id: int
    created_at: datetime
    kind: str
    language: str
    status: str
    attempts: int
    encoding: str
    segments: int
    provider: str | None
    provider_message_id: str | None
    cost: str | None
    failure_reason: str | None
    last_error: str | None
    sent_at: datetime | None
    delivered_at: datetime | None
    body: str


async def list_messages(db: AsyncSession, status: str | None = None, limit: int = 50) -> list[MessageView]:
    query = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboundMessage.status == status)
    rows = (await db.execute(query)).scalars()
    return [
        MessageView(
            m.id,
            m.created_at,
            m.kind,
            m.language,
            m.status,
            m.attempts,
            m.encoding,
            m.segments,
            m.provider,
            m.provider_message_id,
            m.cost,
            m.failure_reason,
            m.last_error,
            m.sent_at,
            m.delivered_at,
            m.body,
        )
        for m in rows
    ]


async def counts_by_status(db: AsyncSession) -> dict[str, int]:
    rows = await db.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status))
    found: dict[str, int] = {row[0]: row[1] for row in rows}
    return {status: found.get(status, 0) for status in STATUSES}


async def requeue_failed(db: AsyncSession, ids: Sequence[int] | None) -> int:
    """Failed messages back to the queue for a fresh round of attempts; scrubbed ones cannot be."""
    query = (
        update(OutboundMessage)
        .where(OutboundMessage.status == "failed", OutboundMessage.phone_encrypted != "")
        .values(status="queued", attempts=0, next_attempt_at=utcnow(), failed_at=None, failure_reason=None)
    )
    if ids is not None:
        query = query.where(OutboundMessage.id.in_(list(ids)))
    result = await db.execute(query)
    return rows_changed(result)
