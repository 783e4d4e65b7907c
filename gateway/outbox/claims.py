"""Claims on outbox messages: taking due messages for one worker, and handing claims back.

A claim is status `sending` with `claimed_at` as its lease and `claimed_by` naming the worker. It is
taken in a transaction of its own, so that a worker that dies keeps nothing but the lease, and
once that runs out any worker puts the messages back in the queue. Right before each provider
request the worker confirms the claim (`confirm`): only the messages still claimed by it are
sent, and their lease starts again, so a long pass never sends what another worker took back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, delete, func, select, update

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
    kind: str = "reply"
    # Routing: the channels that gave up on it, and its failed attempts on the one it is on now.
    tried: tuple[str, ...] = ()
    channel_attempts: int = 0
    # An earlier request may have been taken (models.OutboundMessage.uncertain_at): the message
    # goes only through `provider` again, with `ref` (its provider id) at `pin`.
    uncertain: bool = False
    provider: str | None = None
    ref: str | None = None
    pin: str | None = None


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
                OutboundMessage.kind,
                OutboundMessage.tried_channels,
                OutboundMessage.channel_attempts,
                OutboundMessage.uncertain_at,
                OutboundMessage.provider,
                OutboundMessage.provider_message_id,
                OutboundMessage.provider_ref,
            )
        )
        claimed, unreadable = [], []
        for row in rows:
            try:
                phone = vault.decrypt(row.phone_encrypted)
            except ValueError:
                unreadable.append(row.id)
                continue
            claimed.append(
                Claimed(
                    row.id,
                    phone,
                    row.body,
                    row.attempts,
                    row.scrub_after_send,
                    row.kind,
                    tuple(name for name in (row.tried_channels or "").split(",") if name),
                    row.channel_attempts or 0,
                    row.uncertain_at is not None,
                    row.provider,
                    row.provider_message_id,
                    row.provider_ref,
                )
            )
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


async def confirm(
    sessionmaker: SessionMaker,
    worker_id: str,
    channel: str,
    ids: list[int],
    ref: str | None = None,
    pin: str | None = None,
) -> set[int]:
    """Of `ids`, those still claimed by `worker_id`, their lease renewed, in one statement; only
    those may be sent. `channel` (and for one message `ref`, the id the provider will know it by,
    and `pin`, where it goes) is stored before the request, so that a delivery report that comes
    before the answer finds the message, and a claim that lapses during the request is known to
    have had one (`release_stale_claims`)."""
    if not ids:
        return set()
    values: dict[str, object] = {"claimed_at": utcnow(), "provider": channel}
    if ref is not None:
        values["provider_message_id"] = ref[:128]
    if pin is not None:
        values["provider_ref"] = pin[:64]
    async with sessionmaker() as db, db.begin():
        rows = await db.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id.in_(ids),
                OutboundMessage.claimed_by == worker_id,
                OutboundMessage.status == "sending",
            )
            .values(**values)
            .returning(OutboundMessage.id)
        )
        return set(rows.scalars())


async def release_stale_claims(sessionmaker: SessionMaker, lease_s: float) -> int:
    """Claims older than the lease belong to a dead (or stalled) worker: their messages go back to
    the queue. One whose request was confirmed at a place (`provider_ref`) may have been taken
    there: it becomes uncertain, to be retried only there."""
    now = utcnow()
    cutoff = now - timedelta(seconds=lease_s)
    async with sessionmaker() as db, db.begin():
        result = await db.execute(
            update(OutboundMessage)
            .where(OutboundMessage.status == "sending", OutboundMessage.claimed_at < cutoff)
            .values(
                status="queued",
                claimed_at=None,
                claimed_by=None,
                uncertain_at=case(
                    (
                        OutboundMessage.provider_ref.is_not(None),
                        func.coalesce(OutboundMessage.uncertain_at, now),
                    ),
                    else_=OutboundMessage.uncertain_at,
                ),
            )
        )
    released = int(getattr(result, "rowcount", 0) or 0)
    if released:
        log.warning("requeued %d message(s) claimed by a worker that stopped", released)
    return released


async def hand_back(sessionmaker: SessionMaker, worker_id: str, ids: list[int], delay_s: float) -> int:
    """Claimed messages this worker will not send in this pass (their channel is busy for longer
    than the lease allows) back to the queue, the attempt not counted, due again in `delay_s`:
    until then the claims go to messages for other channels."""
    if not ids:
        return 0
    async with sessionmaker() as db, db.begin():
        result = await db.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id.in_(ids),
                OutboundMessage.status == "sending",
                OutboundMessage.claimed_by == worker_id,
            )
            .values(
                status="queued",
                claimed_at=None,
                claimed_by=None,
                attempts=OutboundMessage.attempts - 1,
                next_attempt_at=utcnow() + timedelta(seconds=delay_s),
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)


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


async def fail_claimed(
    sessionmaker: SessionMaker, worker_id: str, ids: list[int], reason: str, detail: str
) -> int:
    """Claimed messages no configured channel may send, failed with `reason` (kept, so that an
    operator sees why: `gateway outbox list --status failed`) — except a message to an anonymous
    reporter, which is deleted as it would be once refused for good: its number next to its text (a
    report's reference) is what anonymity must not leave behind. The caller logs how many."""
    if not ids:
        return 0
    now = utcnow()
    async with sessionmaker() as db, db.begin():
        erased = await db.execute(
            delete(OutboundMessage).where(
                OutboundMessage.id.in_(ids),
                OutboundMessage.claimed_by == worker_id,
                OutboundMessage.scrub_after_send.is_(True),
            )
        )
        result = await db.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(ids), OutboundMessage.claimed_by == worker_id)
            .values(
                status="failed",
                failed_at=now,
                failure_reason=reason[:64],
                last_error=detail[:500],
                claimed_at=None,
                claimed_by=None,
            )
        )
    return int(getattr(erased, "rowcount", 0) or 0) + int(getattr(result, "rowcount", 0) or 0)
