"""Recording the provider's answers: each claimed message sent, queued again after a backoff, or
failed; anonymous messages deleted once settled; opt-outs marked on their contacts. An answer is
recorded even through a short database outage, since the lease would otherwise send it again.
Only the messages still claimed by the worker that sent them are recorded: one whose lease ran
out belongs to whoever took it back.

An `uncertain` answer (the request may have been taken) keeps the message on its channel: it is
queued again after the channel's hold, with the same provider id and place, never moved to the
next channel of its route, and does not count toward `route_fallback_after`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Container
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.db.engine import SessionMaker
from gateway.db.errors import database_unavailable
from gateway.outbox.claims import Claimed
from gateway.outbox.models import OutboundMessage
from gateway.outbox.provider import RecipientResult
from gateway.security.keys import PhoneVault

log = logging.getLogger(__name__)
MAX_RETRY_DELAY_S = 1800

Record = Callable[[list[Claimed], list[RecipientResult]], Awaitable[None]]
_KEEP = object()  # a value row_update leaves as the row has it


def backoff(attempts: int, retry_base_s: float) -> timedelta:
    # base, 2x, 4x … at most MAX_RETRY_DELAY_S apart (an outage's end is noticed within half
    # an hour), with ±25 % jitter so that a provider outage does not end in a stampede.
    delay = retry_base_s * 2 ** min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(delay, MAX_RETRY_DELAY_S) * random.uniform(0.75, 1.25))


def row_update(
    message: Claimed,
    result: RecipientResult,
    now: datetime,
    *,
    provider: str,
    max_attempts: int,
    retry_base_s: float,
    has_next: bool = False,
    fallback_after: int = 1_000_000,
    hold_s: float | None = None,
) -> dict[str, Any]:
    """The values the message's row takes for this result; the claim ends with it. `provider` is
    the channel that answered; `has_next`: its route has another channel to try, which it moves
    to at once when this one refuses it (never when the number opted out, never when a request
    for it may have been taken) or has failed it `fallback_after` times. `hold_s`: how long an
    uncertain message waits before its retry on the same channel (None: the backoff)."""
    values: dict[str, Any] = {
        "id": message.id,
        "claimed_at": None,
        "claimed_by": None,
        "provider": provider,
    }
    # A message whose earlier request may have been taken stays where it is (models.py).
    pinned = message.uncertain or result.outcome == "uncertain"
    # Its failures on the channel that answered: those counted on another (the one before it,
    # passed over while down) are not this one's.
    failed_here = (message.channel_attempts if message.provider in (provider, None) else 0) + 1
    move_on = has_next and message.attempts < max_attempts and not result.opted_out and not pinned
    if result.outcome == "accepted":
        values.update(
            status="sent",
            sent_at=now,
            provider_message_id=result.message_id or message.ref,
            cost=result.cost,
            last_error=None,
            uncertain_at=None,
            provider_ref=None,
        )
    elif result.outcome == "uncertain" and message.attempts < max_attempts:
        delay = backoff(message.attempts, retry_base_s) if hold_s is None else timedelta(seconds=hold_s)
        if result.retry_after:
            delay = max(delay, timedelta(seconds=result.retry_after))
        values.update(
            status="queued",
            next_attempt_at=now + delay,
            uncertain_at=now if not message.uncertain else _KEEP,
            # What the request was confirmed with stays, unless the answer says more.
            provider_message_id=result.message_id or _KEEP,
            provider_ref=result.pin or _KEEP,
            last_error=f"uncertain: {result.status}"[:500],
        )
    elif move_on and (result.outcome == "permanent" or failed_here >= fallback_after):
        values.update(
            status="queued",
            next_attempt_at=now + timedelta(seconds=result.retry_after or 0),
            tried_channels=",".join((*message.tried, provider))[:128],
            channel_attempts=0,
            last_error=f"{provider}: {result.status}"[:500],
        )
    elif result.outcome == "transient" and message.attempts < max_attempts:
        delay = backoff(message.attempts, retry_base_s)
        if result.retry_after:
            delay = max(delay, timedelta(seconds=result.retry_after))
        values.update(
            status="queued",
            next_attempt_at=now + delay,
            # Failures while pinned do not count toward moving on: it never will.
            channel_attempts=message.channel_attempts if pinned else failed_here,
            last_error=result.status,
        )
        if not message.uncertain:
            # The request never left (or was answered): nothing is outstanding at that place.
            values["provider_ref"] = None
    else:
        gave_up = result.outcome in ("transient", "uncertain")
        said = ("may have been sent; " if pinned else "") + result.status
        values.update(
            status="failed",
            failed_at=now,
            failure_reason=result.status[:64],
            last_error=(f"gave up after {message.attempts} attempts: " if gave_up else "") + said,
        )
    values = {k: v for k, v in values.items() if v is not _KEEP}
    return values


async def record_results(
    sessionmaker: SessionMaker,
    vault: PhoneVault,
    chunk: list[Claimed],
    results: list[RecipientResult],
    *,
    provider: str,
    max_attempts: int,
    retry_base_s: float,
    has_next: Container[int] = (),
    fallback_after: int = 1_000_000,
    worker_id: str | None = None,
    hold_s: float | None = None,
) -> None:
    """The answers for `chunk`, all in one transaction. A message with no result of its own (the
    provider left it out) counts as a transient failure. `has_next`: the ids of the messages
    whose route has another channel after `provider`. `worker_id`: only the messages still
    claimed by it are recorded (their rows locked first); the others were taken back when its
    lease ran out and are someone else's now."""
    by_phone: dict[str, list[RecipientResult]] = defaultdict(list)
    for result in results:
        by_phone[result.phone].append(result)
    now = utcnow()
    updates: list[dict[str, Any]] = []
    gone: list[int] = []
    opted_out: list[str] = []
    opted_by: dict[int, tuple[str, ...]] = {}
    for message in chunk:
        found = by_phone.get(message.phone)
        result = (
            found.pop(0) if found else RecipientResult(message.phone, "transient", "NoResultForRecipient")
        )
        outcome = row_update(
            message,
            result,
            now,
            provider=provider,
            max_attempts=max_attempts,
            retry_base_s=retry_base_s,
            has_next=message.id in has_next,
            fallback_after=fallback_after,
            hold_s=hold_s,
        )
        if message.scrub and outcome["status"] in ("sent", "failed"):
            # A message to an anonymous reporter: once the provider has it (or never will),
            # nothing of it stays — not the number, the text, the provider's id or the time.
            gone.append(message.id)
        else:
            updates.append(outcome)
        if result.opted_out:
            # Under every configured key: during a key rotation the contact may be under an old one.
            opted_by[message.id] = vault.lookup_hashes(message.phone)
            opted_out.extend(opted_by[message.id])
    async with sessionmaker() as db, db.begin():
        if worker_id is not None:
            ours = await _still_ours(db, worker_id, [m.id for m in chunk])
            updates = [_settled(u, ours[u["id"]]) for u in updates if u["id"] in ours]
            gone = [i for i in gone if i in ours]
            kept = {u["id"] for u in updates} | set(gone)
            opted_out = [h for m in chunk if m.id in kept for h in opted_by.get(m.id, ())]
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


async def _still_ours(db: Any, worker_id: str, ids: list[int]) -> dict[int, str]:
    """Of `ids`, the messages still claimed by `worker_id`, locked until the commit (PostgreSQL;
    SQLite has one writer), with their status: a delivery report may have come first."""
    rows = await db.execute(
        select(OutboundMessage.id, OutboundMessage.status)
        .where(OutboundMessage.id.in_(ids), OutboundMessage.claimed_by == worker_id)
        .with_for_update()
    )
    return {row.id: row.status for row in rows}


def _settled(values: dict[str, Any], status: str) -> dict[str, Any]:
    """A delivery report that came before the provider's answer (status no longer `sending`) is
    not undone: the row keeps its status and what the report set."""
    if status == "sending":
        return values
    kept = {
        k: v for k, v in values.items() if k not in ("status", "failed_at", "failure_reason", "last_error")
    }
    if values.get("status") != "sent":
        # The report says the message went: the answer's failure is moot.
        kept = {k: v for k, v in kept.items() if k not in ("next_attempt_at", "uncertain_at")}
    return kept


async def record_through_outage(
    record: Record, chunk: list[Claimed], results: list[RecipientResult], lease_s: float
) -> None:
    """The provider has answered: that answer must be recorded, or the lease would send these
    messages again. So while the database is unreachable, keep trying, for half the lease
    (after which another worker may take the claims back, and recording is moot)."""
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + lease_s / 2
    delay = 0.2
    while True:
        try:
            await record(chunk, results)
            return
        except Exception as exc:
            if not database_unavailable(exc) or loop.time() + delay > give_up_at:
                raise
            log.warning("database unavailable; keeping %d provider answers to record", len(chunk))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
