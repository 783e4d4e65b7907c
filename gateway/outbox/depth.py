"""The outbox's depth by status, read from the database when metrics are scraped, so that every
process reports the same queue."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.outbox.models import STATUSES, OutboundMessage


async def outbox_depth(db: AsyncSession) -> GaugeMetricFamily:
    counts = dict(
        (
            await db.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status))
        ).all()
    )
    depth = GaugeMetricFamily("gateway_outbox_messages", "Outbox messages by status", labels=["status"])
    for status in STATUSES:
        depth.add_metric([status], counts.get(status, 0))
    return depth
