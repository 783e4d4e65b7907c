"""Prometheus metrics. Counters and histograms live in each process; the outbox depth is read from
the database at scrape time, so every process reports the same queue."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.outbox.models import STATUSES, OutboundMessage

REGISTRY = CollectorRegistry()
CALLBACKS = Counter(
    "gateway_callbacks_total",
    "Provider callbacks by kind and outcome",
    ["kind", "outcome"],
    registry=REGISTRY,
)
USSD_HOP_SECONDS = Histogram(
    "gateway_ussd_hop_seconds",
    "Time to answer one USSD hop",
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15),
)
USSD_SESSIONS_ENDED = Counter(
    "gateway_ussd_sessions_ended_total",
    "USSD sessions by the provider's end status and the last screen",
    ["status", "last_screen"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge("gateway_outbox_messages", "Outbox messages by status", ["status"], registry=REGISTRY)
PROVIDER_SECONDS = Histogram(
    "gateway_provider_request_seconds",
    "SMS provider request latency",
    ["provider"],
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
PROVIDER_ERRORS = Counter(
    "gateway_provider_errors_total", "SMS provider request failures", ["provider", "kind"], registry=REGISTRY
)
DIGESTS_SENT = Counter("gateway_digests_sent_total", "Committee summaries queued", registry=REGISTRY)
BROADCAST_MESSAGES = Counter(
    "gateway_broadcast_messages_total", "Broadcast messages queued", ["kind"], registry=REGISTRY
)


async def render(db: AsyncSession) -> tuple[bytes, str]:
    counts = dict(
        (
            await db.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status))
        ).all()
    )
    for status in STATUSES:
        OUTBOX_DEPTH.labels(status).set(counts.get(status, 0))
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
