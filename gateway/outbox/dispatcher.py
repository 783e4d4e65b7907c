"""The dispatcher: claims due messages, sends them in batches, records every outcome.

Delivery guarantees:
- A message is claimed (status `sending`, with a lease) in one transaction and its result recorded
  in another, right after the provider answers; if the database is down then, recording is
  retried for half the lease. A process killed in between leaves the claim; when the lease runs
  out the message is queued again. So nothing is lost; a message whose provider request
  succeeded but whose result was not recorded before the kill is sent again (the only case of a
  duplicate, and AT's answer cannot be had back).
- With PostgreSQL, claims use FOR UPDATE SKIP LOCKED: any number of workers share the queue
  without sending a message twice.
- Transient failures are retried with exponential backoff and jitter up to `sms_max_attempts`;
  permanent ones never.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from gateway.config import Settings
from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.db.engine import SessionMaker
from gateway.db.errors import database_unavailable
from gateway.ops.loop import repeat
from gateway.ops.metrics import PROVIDER_ERRORS, PROVIDER_SECONDS
from gateway.outbox.models import OutboundMessage
from gateway.outbox.provider import ProviderError, RecipientResult, SmsProvider
from gateway.outbox.ratelimit import RateLimiter
from gateway.security.keys import PhoneVault

log = logging.getLogger(__name__)
MAX_RETRY_DELAY_S = 1800


@dataclass(frozen=True)
class Claimed:
    id: int
    phone: str
    body: str
    attempts: int
    scrub: bool


class Dispatcher:
    def __init__(
        self,
        sessionmaker: SessionMaker,
        provider: SmsProvider,
        vault: PhoneVault,
        settings: Settings,
        worker_id: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.provider = provider
        self.vault = vault
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self) & 0xFFFF:x}"
        self.limiter = RateLimiter(settings.sms_rate_per_s)
        self.claim_size = max(settings.sms_batch_size * 5, 100)
        self._last_release = 0.0
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set. Requests already with the provider are finished and
        recorded; what this worker claimed but had not sent goes straight back to the queue."""
        log.info("dispatcher %s started (provider %s)", self.worker_id, self.provider.name)
        self._stop = stop
        try:
            await repeat("dispatcher pass", self.dispatch_once, stop, self.settings.dispatch_poll_s)
        finally:
            released = await self.release_own_claims()
            log.info("dispatcher %s stopped; %d claimed message(s) handed back", self.worker_id, released)

    async def dispatch_once(self) -> int:
        """One pass: claim what is due, send it, record it. Returns how many messages were handled."""
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_release > self.settings.dispatch_lease_s / 2:
            await self.release_stale_claims()
            self._last_release = loop.time()
        claimed = await self.claim(self.claim_size)
        groups: dict[str, list[Claimed]] = defaultdict(list)
        for message in claimed:
            groups[message.body].append(message)
        size = min(self.settings.sms_batch_size, self.provider.max_recipients)
        chunks = [
            (body, messages[start : start + size])
            for body, messages in groups.items()
            for start in range(0, len(messages), size)
        ]
        if self.settings.sms_concurrency == 1:
            for body, chunk in chunks:
                await self._paced_send(body, chunk)
        else:
            # Several requests in flight, each recorded as soon as its answer comes.
            slots = asyncio.Semaphore(self.settings.sms_concurrency)

            async def send(body: str, chunk: list[Claimed]) -> None:
                async with slots:
                    await self._paced_send(body, chunk)

            await asyncio.gather(*(send(body, chunk) for body, chunk in chunks))
        return len(claimed)

    async def _paced_send(self, body: str, chunk: list[Claimed]) -> None:
        # Once stopping, nothing new goes to the provider: the chunk stays claimed and `run`
        # hands it back, rather than a shutdown waiting for a whole rate-limited claim to drain.
        if self._stop.is_set():
            return
        await self.limiter.acquire(len(chunk))
        if self._stop.is_set():
            return
        await self._send(body, chunk)

    async def claim(self, limit: int) -> list[Claimed]:
        now = utcnow()
        async with self.sessionmaker() as db, db.begin():
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
                    claimed_by=self.worker_id,
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
                    phone = self.vault.decrypt(row.phone_encrypted)
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

    async def _send(self, body: str, chunk: list[Claimed]) -> None:
        phones = [m.phone for m in chunk]
        started = time.perf_counter()
        try:
            results = await self.provider.send(body, phones)
        except ProviderError as exc:
            PROVIDER_ERRORS.labels(self.provider.name, "transient" if exc.transient else "permanent").inc()
            log.warning(
                "provider %s request failed (%s): %s",
                self.provider.name,
                "transient" if exc.transient else "permanent",
                exc,
            )
            outcome = "transient" if exc.transient else "permanent"
            results = [RecipientResult(p, outcome, str(exc)[:64]) for p in phones]  # type: ignore[arg-type]
        except Exception as exc:  # a provider bug must not kill the dispatcher or lose messages
            PROVIDER_ERRORS.labels(self.provider.name, "bug").inc()
            log.exception("provider %s raised", self.provider.name)
            results = [RecipientResult(p, "transient", type(exc).__name__) for p in phones]
        PROVIDER_SECONDS.labels(self.provider.name).observe(time.perf_counter() - started)
        await self._record_through_outage(chunk, results)

    async def _record_through_outage(self, chunk: list[Claimed], results: list[RecipientResult]) -> None:
        """The provider has answered: that answer must be recorded, or the lease would send these
        messages again. So while the database is unreachable, keep trying, for half the lease
        (after which another worker may take the claims back, and recording is moot)."""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.settings.dispatch_lease_s / 2
        delay = 0.2
        while True:
            try:
                await self.record(chunk, results)
                return
            except Exception as exc:
                if not database_unavailable(exc) or loop.time() + delay > give_up_at:
                    raise
                log.warning("database unavailable; keeping %d provider answers to record", len(chunk))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def record(self, chunk: list[Claimed], results: list[RecipientResult]) -> None:
        by_phone: dict[str, list[RecipientResult]] = defaultdict(list)
        for result in results:
            by_phone[result.phone].append(result)
        now = utcnow()
        updates: list[dict[str, Any]] = []
        gone: list[int] = []
        opted_out: list[str] = []
        for message in chunk:
            found = by_phone.get(message.phone)
            result = (
                found.pop(0) if found else RecipientResult(message.phone, "transient", "NoResultForRecipient")
            )
            outcome = self._outcome(message, result, now)
            if message.scrub and outcome["status"] in ("sent", "failed"):
                # A message to an anonymous reporter: once the provider has it (or never will),
                # nothing of it stays — not the number, the text, the provider's id or the time.
                gone.append(message.id)
            else:
                updates.append(outcome)
            if result.opted_out:
                # Under every configured key: during a key rotation the contact may be under an old one.
                opted_out.extend(self.vault.lookup_hashes(message.phone))
        async with self.sessionmaker() as db, db.begin():
            if updates:
                await db.execute(update(OutboundMessage), updates)
            if gone:
                await db.execute(delete(OutboundMessage).where(OutboundMessage.id.in_(gone)))
            if opted_out:
                await db.execute(
                    update(Contact)
                    .where(Contact.phone_hash.in_(opted_out), Contact.opted_out_at.is_(None))
                    .values(opted_out_at=now)
                )

    def _outcome(self, message: Claimed, result: RecipientResult, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": message.id,
            "claimed_at": None,
            "claimed_by": None,
            "provider": self.provider.name,
        }
        if result.outcome == "accepted":
            values.update(
                status="sent",
                sent_at=now,
                provider_message_id=result.message_id,
                cost=result.cost,
                last_error=None,
            )
        elif result.outcome == "transient" and message.attempts < self.settings.sms_max_attempts:
            values.update(
                status="queued",
                next_attempt_at=now + self.backoff(message.attempts),
                last_error=result.status,
            )
        else:
            gave_up = result.outcome == "transient"
            values.update(
                status="failed",
                failed_at=now,
                failure_reason=result.status[:64],
                last_error=(f"gave up after {message.attempts} attempts: " if gave_up else "")
                + result.status,
            )
        return values

    def backoff(self, attempts: int) -> timedelta:
        # base, 2x, 4x … at most MAX_RETRY_DELAY_S apart (an outage's end is noticed within half
        # an hour), with ±25 % jitter so that a provider outage does not end in a stampede.
        delay = self.settings.sms_retry_base_s * 2 ** min(max(attempts - 1, 0), 30)
        return timedelta(seconds=min(delay, MAX_RETRY_DELAY_S) * random.uniform(0.75, 1.25))

    async def release_stale_claims(self) -> int:
        """Claims older than the lease belong to a dead worker: their messages go back to the queue."""
        cutoff = utcnow() - timedelta(seconds=self.settings.dispatch_lease_s)
        async with self.sessionmaker() as db, db.begin():
            result = await db.execute(
                update(OutboundMessage)
                .where(OutboundMessage.status == "sending", OutboundMessage.claimed_at < cutoff)
                .values(status="queued", claimed_at=None, claimed_by=None)
            )
        released = int(getattr(result, "rowcount", 0) or 0)
        if released:
            log.warning("requeued %d message(s) claimed by a worker that stopped", released)
        return released

    async def release_own_claims(self) -> int:
        """This worker's claims back to the queue, the attempt not counted (it was never made)."""
        try:
            async with self.sessionmaker() as db, db.begin():
                result = await db.execute(
                    update(OutboundMessage)
                    .where(OutboundMessage.status == "sending", OutboundMessage.claimed_by == self.worker_id)
                    .values(
                        status="queued",
                        claimed_at=None,
                        claimed_by=None,
                        attempts=OutboundMessage.attempts - 1,
                    )
                )
        except Exception:
            # The database is unreachable at shutdown: the lease hands the claims back later.
            log.exception("could not hand back the claims of %s; the lease will", self.worker_id)
            return 0
        return int(getattr(result, "rowcount", 0) or 0)
