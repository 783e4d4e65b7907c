"""Prometheus metrics. Counters and histograms are kept per process; under `serve --workers N` they
live in files in a shared directory (prometheus_client's multiprocess mode, switched on by
`serve` before the workers start) and every scrape adds up all the workers. The outbox depth is
read from the database at scrape time, so every process reports the same queue."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import Metric

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
# How often the lean hop path (ussd/lean.py) hands a hop to the full one, which costs ten to twenty
# times more: all reasons, and the one a deployment can act on (SQLite's write lock held too long
# by another writer). No label names a screen or a caller.
USSD_FULL_PATH_HOPS = Counter(
    "gateway_ussd_full_path_hops_total", "USSD hops answered by the full (ORM) path", registry=REGISTRY
)
USSD_STORE_BUSY = Counter(
    "gateway_ussd_store_busy_total",
    "USSD hops the lean path gave up on because another writer kept SQLite's write lock",
    registry=REGISTRY,
)
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


# prometheus_client picks file-backed values at import when PROMETHEUS_MULTIPROC_DIR is set.
MULTIPROCESS = values.ValueClass is not values.MutexValue


class _Snapshot:
    """Metric families computed before the scrape (collect() cannot await the database)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


def render(read_now: Iterable[Metric] = ()) -> tuple[bytes, str]:
    """The exposition: this process's (or, under `serve --workers N`, every worker's) counters,
    and `read_now`, families read at scrape time (the outbox depth, from the database)."""
    registry = CollectorRegistry()
    registry.register(_Snapshot(read_now))
    if MULTIPROCESS:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Snapshot(REGISTRY.collect()))
    return generate_latest(registry), CONTENT_TYPE_LATEST
