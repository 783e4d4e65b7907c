"""Claims on outbox messages: taking due messages for one worker, and handing claims back.

A claim is status `sending` with `claimed_at` as its lease and `claimed_by` naming the worker. It is
taken in a transaction of its own, so that a worker that dies keeps nothing but the lease, and
once that runs out any worker puts the messages back in the queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from gateway.db.base import utcnow
from gateway.db.engine import SessionMaker
from gateway.outbox.models import OutboundMessage
from gateway.security.keys import PhoneVault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    id: int
    phone: str
    body: str
    attempts: int
    scrub: bool


async def claim_due(
    sessionmaker: SessionMaker, vault: PhoneVault, worker_id: str, limit: int
) -> list[Claimed]:
    """Up to `limit` due messages, oldest due first, claimed for `worker_id` with one more attempt
    counted. With PostgreSQL, FOR UPDATE SKIP LOCKED lets any number of workers share the queue
    without two claiming one message; SQLite has one writer (every transaction is BEGIN IMMEDIATE)."""
    now = utcnow()
    async with sessionmaker() as db, db.begin():
        ids = list(
            (
                await db.execute(
                    select(OutboundMessage.id)
                    .where(OutboundMessage.status == "queued", OutboundMessage.next_attempt_at <= now)
                    .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
        )
        if not ids:
            return []
        rows = await db.execute(
            # The rows are ours: locked above (PostgreSQL) or under BEGIN IMMEDIATE (SQLite).
            # No status test here: with it, the planner scans the status index instead of
            # the primary key.
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(ids))
            .values(
                status="sending",
                claimed_at=now,
                claimed_by=worker_id,
                attempts=OutboundMessage.attempts + 1,
            )
            .returning(
                OutboundMessage.id,
                OutboundMessage.phone_encrypted,
                OutboundMessage.body,
                OutboundMessage.attempts,
                OutboundMessage.scrub_after_send,
            )
        )
        claimed, unreadable = [], []
        for row in rows:
            try:
                phone = vault.decrypt(row.phone_encrypted)
            except ValueError:
                unreadable.append(row.id)
                continue
            claimed.append(Claimed(row.id, phone, row.body, row.attempts, row.scrub_after_send))
        if unreadable:
            # Encrypted with another GATEWAY_SECRET_KEY: no attempt can ever send these.
            log.error(
                "%d message(s) cannot be decrypted with this secret key; marked failed", len(unreadable)
            )
            await db.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id.in_(unreadable))
                .values(
                    status="failed",
                    failed_at=now,
                    failure_reason="UndecryptablePhone",
                    last_error="phone number cannot be decrypted with this GATEWAY_SECRET_KEY",
                    claimed_at=None,
                    claimed_by=None,
                )
            )
    return sorted(claimed, key=lambda c: c.id)


async def release_stale_claims(sessionmaker: SessionMaker, lease_s: float) -> int:
    """Claims older than the lease belong to a dead worker: their messages go back to the queue."""
    cutoff = utcnow() - timedelta(seconds=lease_s)
    async with sessionmaker() as db, db.begin():
        result = await db.execute(
            update(OutboundMessage)
            .where(OutboundMessage.status == "sending", OutboundMessage.claimed_at < cutoff)
            .values(status="queued", claimed_at=None, claimed_by=None)
        )
    released = int(getattr(result, "rowcount", 0) or 0)
    if released:
        log.warning("requeued %d message(s) claimed by a worker that stopped", released)
    return released


async def release_own_claims(sessionmaker: SessionMaker, worker_id: str) -> int:
    """The worker's claims back to the queue, the attempt not counted (it was never made)."""
    try:
        async with sessionmaker() as db, db.begin():
            result = await db.execute(
                update(OutboundMessage)
                .where(OutboundMessage.status == "sending", OutboundMessage.claimed_by == worker_id)
                .values(
                    status="queued",
                    claimed_at=None,
                    claimed_by=None,
                    attempts=OutboundMessage.attempts - 1,
                )
            )
    except Exception:
        # The database is unreachable at shutdown: the lease hands the claims back later.
        log.exception("could not hand back the claims of %s; the lease will", worker_id)
        return 0
    return int(getattr(result, "rowcount", 0) or 0)
