"""The dispatch loop: claims due messages, sends those with the same text together, at most
`sms_concurrency` requests at a time under the rate limit, has each answer recorded as it comes,
and at a stop hands back what it claimed but did not send. Claims are in `claims.py`, the
provider request in `sending.py`, the recording of its answer in `recording.py`.

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
import socket
from collections import defaultdict
from datetime import timedelta

from gateway.config import Settings
from gateway.db.engine import SessionMaker
from gateway.ops.loop import repeat
from gateway.outbox import claims, recording
from gateway.outbox.claims import Claimed
from gateway.outbox.provider import RecipientResult, SmsProvider
from gateway.outbox.ratelimit import RateLimiter
from gateway.outbox.sending import send_request
from gateway.security.keys import PhoneVault

log = logging.getLogger(__name__)


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
        results = await send_request(self.provider, body, [m.phone for m in chunk])
        # `self.record` rather than the function it calls: a recorder put in its place (as the
        # outage tests do) is then the one retried.
        await recording.record_through_outage(self.record, chunk, results, self.settings.dispatch_lease_s)

    async def claim(self, limit: int) -> list[Claimed]:
        return await claims.claim_due(self.sessionmaker, self.vault, self.worker_id, limit)

    async def record(self, chunk: list[Claimed], results: list[RecipientResult]) -> None:
        await recording.record_results(
            self.sessionmaker,
            self.vault,
            chunk,
            results,
            provider=self.provider.name,
            max_attempts=self.settings.sms_max_attempts,
            retry_base_s=self.settings.sms_retry_base_s,
        )

    def backoff(self, attempts: int) -> timedelta:
        return recording.backoff(attempts, self.settings.sms_retry_base_s)

    async def release_stale_claims(self) -> int:
        return await claims.release_stale_claims(self.sessionmaker, self.settings.dispatch_lease_s)

    async def release_own_claims(self) -> int:
        return await claims.release_own_claims(self.sessionmaker, self.worker_id)
