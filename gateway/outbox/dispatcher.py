"""The dispatch loop: claims due messages, gives each the channel its route says (`routing.py`),
sends those with the same text through the same channel together, at most `sms_concurrency`
requests per channel at a time under that channel's rate limit (`ratelimit.py`, shared by every
worker on PostgreSQL), has each answer recorded as it comes, and at a stop hands back what it
claimed but did not send. Claims are in `claims.py`, the provider request in `sending.py`, the
recording of its answer (and the move to the next channel of a route) in `recording.py`, each
channel's state in `health.py`.

What is guaranteed, and what is not:
- A message is claimed (status `sending`, with a lease of `dispatch_lease_s`) in one transaction.
  Right before each provider request the claim is confirmed and renewed in one statement
  (`claims.confirm`): only the messages this worker still holds are sent. Its answer is recorded
  in another transaction, only for the messages still claimed by this worker. So a pass that
  outlasts the lease never sends what another worker took back. What remains: a single provider
  request (or the recording of its answer) that takes longer than the whole lease; requests time
  out far sooner (seconds), and recording through a database outage gives up at half the lease.
- A process killed between a request and the recording of its answer leaves the claim; when
  the lease runs out the message is queued again. Nothing is lost. If the request had been
  confirmed at a place (`provider_ref`: a phone), the message is then uncertain (below); if not
  (Africa's Talking, Orange), it is sent again: the one known case of a duplicate, since the
  provider's answer cannot be had back.
- A claim is sized to what its channels can send in a third of the lease (their rate), so a pass
  does not normally hold claims it cannot use; a channel busy for longer than that gets its
  messages handed back to the queue.
- Transient failures are retried with exponential backoff and jitter up to `sms_max_attempts`;
  permanent ones never. With a route of several channels, a message refused by one (or failed
  `route_fallback_after` times) moves to the next at once; a message is only ever in one request
  at a time.
- An uncertain answer (the request may have been taken: a timeout or a dropped connection after
  it was written, a 5xx to a send that is not idempotent) is never moved to another channel,
  whether the channel is down or not, and does not count toward the fallback: the message is
  retried on the same channel only, after the channel's hold, with the same provider id (the
  Android app answers 409 when it has it). Whether that retry can give a duplicate depends on
  the channel (docs/channels.md): not through the Android app; through Orange, unless Orange
  deduplicates on `clientCorrelator`, which is not confirmed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from gateway.config import Settings
from gateway.db.base import utcnow
from gateway.db.engine import SessionMaker
from gateway.ops.loop import repeat
from gateway.outbox import claims, recording
from gateway.outbox.claims import Claimed
from gateway.outbox.health import ChannelHealth
from gateway.outbox.provider import (
    CLAIM_LOST,
    Outgoing,
    RecipientResult,
    SmsProvider,
    provider_rate,
)
from gateway.outbox.ratelimit import Limiter, make_limiter
from gateway.outbox.routing import ChannelSet, Plan
from gateway.outbox.sending import send_request
from gateway.security.keys import PhoneVault

log = logging.getLogger(__name__)
# The plan of a message no channel of its route may carry (an anonymous receipt, phones only).
NO_CHANNEL = ""


class Dispatcher:
    def __init__(
        self,
        sessionmaker: SessionMaker,
        provider: SmsProvider | ChannelSet,
        vault: PhoneVault,
        settings: Settings,
        worker_id: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.channels = provider if isinstance(provider, ChannelSet) else ChannelSet.single(provider)
        self.provider = self.channels.primary
        self.vault = vault
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self) & 0xFFFF:x}"
        store = settings.rate_limit_store
        shared = store == "database" or (store == "auto" and not settings.is_sqlite)
        self.limiters: dict[str, Limiter] = {
            name: make_limiter(sessionmaker, name, provider_rate(p, settings.sms_rate_per_s), shared)
            for name, p in self.channels.providers.items()
        }
        self.health = ChannelHealth(sessionmaker, settings.channel_down_after, settings.channel_down_s)
        self.claim_size = claim_size(settings, [limiter.rate for limiter in self.limiters.values()])
        # Longest a request waits for its channel's turn before its messages go back to the queue.
        self.max_wait = settings.dispatch_lease_s / 3
        self._plans: dict[int, Plan] = {}
        self._handed_back = 0
        self._last_release = 0.0
        self.clock: Callable[[], datetime] = utcnow  # tests move it as a lapsing lease would
        self._claimed_at = self.clock()  # when this pass claimed its messages
        self._stop = asyncio.Event()

    @property
    def limiter(self) -> Limiter:
        return self.limiters[self.provider.name]

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set. Requests already with the provider are finished and
        recorded; what this worker claimed but had not sent goes straight back to the queue."""
        log.info("dispatcher %s started (channels %s)", self.worker_id, ", ".join(self.channels.names))
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
        self._claimed_at = self.clock()
        if not claimed:
            return 0
        self._plans = await self.plan(claimed)
        self._handed_back = 0
        groups: dict[tuple[str, str], list[Claimed]] = defaultdict(list)
        gone: list[Claimed] = []
        unroutable = [m.id for m in claimed if self._plans[m.id].channel == NO_CHANNEL]
        if unroutable:
            log.warning(
                "%d message(s) to anonymous reporters dropped: their route has only channels that keep "
                "copies (GATEWAY_ANDROID_ANONYMOUS_RECEIPTS)",
                len(unroutable),
            )
            await claims.fail_claimed(
                self.sessionmaker,
                self.worker_id,
                unroutable,
                "NoChannelForAnonymous",
                "no channel of its route may carry a message to an anonymous reporter: the phone "
                "keeps a copy (set GATEWAY_ANDROID_ANONYMOUS_RECEIPTS=true to allow it)",
            )
        for message in claimed:
            plan = self._plans[message.id]
            if plan.channel == NO_CHANNEL:
                continue
            if plan.channel not in self.channels.providers:
                gone.append(message)
                continue
            groups[(plan.channel, message.body)].append(message)
        if gone:
            # Uncertain on a channel no longer configured: no other may send it.
            results = [RecipientResult(m.phone, "permanent", "UncertainChannelGone") for m in gone]
            await recording.record_through_outage(self.record, gone, results, self.settings.dispatch_lease_s)
        chunks: list[tuple[str, str, list[Claimed]]] = []
        for (channel, body), messages in groups.items():
            size = max(1, min(self.settings.sms_batch_size, self.channels.providers[channel].max_recipients))
            chunks.extend((channel, body, messages[i : i + size]) for i in range(0, len(messages), size))
        if self.settings.sms_concurrency == 1:
            for channel, body, chunk in chunks:
                await self._paced_send(channel, body, chunk)
        else:
            # Several requests in flight per channel, each recorded as soon as its answer comes; a
            # slow channel holds its own slots, not the others'.
            slots = {name: asyncio.Semaphore(self.settings.sms_concurrency) for name in self.channels.names}

            async def send(channel: str, body: str, chunk: list[Claimed]) -> None:
                async with slots[channel]:
                    await self._paced_send(channel, body, chunk)

            await asyncio.gather(*(send(channel, body, chunk) for channel, body, chunk in chunks))
        # Messages handed back were not handled: a pass of nothing else is an idle one.
        return len(claimed) - self._handed_back

    async def plan(self, claimed: list[Claimed]) -> dict[int, Plan]:
        """The channel of each message for this attempt (routing.py), with the channels now down
        and, when a route asks for it, the channel each contact last wrote in."""
        routes = self.channels.routes
        down = await self.health.down_channels() if len(self.channels.names) > 1 else set()
        last: dict[int, str] = {}
        if routes.uses_last and self.channels.last_channels is not None:
            hashes = {m.id: self.vault.lookup_hashes(m.phone) for m in claimed}
            async with self.sessionmaker() as db:
                found = await self.channels.last_channels(db, [h for hs in hashes.values() for h in hs])
            for message_id, candidates in hashes.items():
                channel = next((found[h] for h in candidates if h in found), None)
                if channel is not None:
                    last[message_id] = channel
        # Channels that keep a copy of what they send take no message to an anonymous reporter.
        copying = tuple(n for n, p in self.channels.providers.items() if getattr(p, "keeps_copies", False))
        plans = {}
        for m in claimed:
            pinned = m.provider if m.uncertain else None
            if pinned is not None and pinned not in self.channels.providers:
                plans[m.id] = Plan(pinned, has_next=False)
                continue
            avoid = copying if m.scrub and pinned is None else ()
            plan = routes.plan(
                m.phone, m.kind, last=last.get(m.id), tried=(*m.tried, *avoid), down=down, pinned=pinned
            )
            plans[m.id] = Plan(NO_CHANNEL, False) if plan.channel in avoid else plan
        return plans

    async def _paced_send(self, channel: str, body: str, chunk: list[Claimed]) -> None:
        # Once stopping, nothing new goes to the provider: the chunk stays claimed and `run`
        # hands it back, rather than a shutdown waiting for a whole rate-limited claim to drain.
        if self._stop.is_set():
            return
        limiter = self.limiters[channel]
        if not await limiter.acquire(len(chunk), self.max_wait):
            ids = [m.id for m in chunk]
            self._handed_back += await claims.hand_back(self.sessionmaker, self.worker_id, ids, self.max_wait)
            return
        if self._stop.is_set():
            return
        provider = self.channels.providers[channel]
        confirmed: set[int] = set()
        if getattr(provider, "send_messages", None) is None:
            # One request for the chunk: confirmed (and the lease renewed) right before it, once
            # the pass is old enough for that to matter. Claimed less than a third of the lease
            # ago, the chunk is this worker's for sure (only a lapsed lease is taken back), and a
            # statement per request would keep SQLite's one writer busy for nothing.
            if self.clock() - self._claimed_at > timedelta(seconds=self.settings.dispatch_lease_s / 3):
                confirmed = await claims.confirm(
                    self.sessionmaker, self.worker_id, channel, [m.id for m in chunk]
                )
                chunk = [m for m in chunk if m.id in confirmed]
                if not chunk:
                    return
            results = await send_request(provider, body, [m.phone for m in chunk])
        else:

            async def confirm(message: Outgoing, ref: str | None, pin: str | None) -> bool:
                ok = bool(
                    await claims.confirm(self.sessionmaker, self.worker_id, channel, [message.id], ref, pin)
                )
                if ok:
                    confirmed.add(message.id)
                return ok

            outgoing = [
                Outgoing(m.id, m.phone, m.ref if m.uncertain else None, m.pin if m.uncertain else None)
                for m in chunk
            ]
            answered = await send_request(provider, body, [m.phone for m in chunk], outgoing, confirm)
            # Unconfirmed messages were not sent (another worker has them) and are not recorded;
            # a message may also be answered without a request (a phone it waits for is down).
            kept = [
                (m, r)
                for m, r in zip(chunk, answered, strict=True)
                if m.id in confirmed or r.status != CLAIM_LOST
            ]
            if not kept:
                return
            chunk, results = [m for m, _ in kept], [r for _, r in kept]
        await self.health.observe(channel, results)
        retry_after = max((r.retry_after or 0.0 for r in results), default=0.0)
        if retry_after > 0:
            await limiter.pause(retry_after)
        # `self.record` rather than the function it calls: a recorder put in its place (as the
        # outage tests do) is then the one retried.
        await recording.record_through_outage(self.record, chunk, results, self.settings.dispatch_lease_s)

    async def claim(self, limit: int) -> list[Claimed]:
        return await claims.claim_due(self.sessionmaker, self.vault, self.worker_id, limit)

    async def record(self, chunk: list[Claimed], results: list[RecipientResult]) -> None:
        plans = [self._plans.get(m.id) for m in chunk]
        channel = plans[0].channel if plans and plans[0] is not None else self.provider.name
        hold = getattr(self.channels.providers.get(channel), "uncertain_hold_s", None)
        await recording.record_results(
            self.sessionmaker,
            self.vault,
            chunk,
            results,
            provider=channel,
            max_attempts=self.settings.sms_max_attempts,
            retry_base_s=self.settings.sms_retry_base_s,
            has_next={m.id for m, plan in zip(chunk, plans, strict=True) if plan and plan.has_next},
            fallback_after=self.settings.route_fallback_after,
            worker_id=self.worker_id,
            hold_s=float(hold) if isinstance(hold, int | float) else None,
        )

    def backoff(self, attempts: int) -> timedelta:
        return recording.backoff(attempts, self.settings.sms_retry_base_s)

    async def release_stale_claims(self) -> int:
        return await claims.release_stale_claims(self.sessionmaker, self.settings.dispatch_lease_s)

    async def release_own_claims(self) -> int:
        return await claims.release_own_claims(self.sessionmaker, self.worker_id)


def claim_size(settings: Settings, rates: list[float]) -> int:
    """How many messages one pass claims: the usual `max(sms_batch_size * 5, 100)`, but no more than
    the slowest of the channels can send in a third of the lease (its rate; at least one), so
    that a pass through a phone at one SMS every 30 s claims a few, not a hundred."""
    size = max(settings.sms_batch_size * 5, 100)
    window = settings.dispatch_lease_s / 3
    for rate in rates:
        if rate > 0:
            size = min(size, max(1, int(rate * window)))
    return size
