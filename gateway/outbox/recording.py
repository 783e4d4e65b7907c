"""Recording the provider's answers: each claimed message sent, queued again after a backoff, or
failed; anonymous messages deleted once settled; opt-outs marked on their contacts. An answer is
recorded even through a short database outage, since the lease would otherwise send it again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update

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
) -> dict[str, Any]:
    """The values the message's row takes for this result; the claim ends with it."""
    values: dict[str, Any] = {
        "id": message.id,
        "claimed_at": None,
        "claimed_by": None,
        "provider": provider,
    }
    if result.outcome == "accepted":
        values.update(
            status="sent",
            sent_at=now,
            provider_message_id=result.message_id,
            cost=result.cost,
            last_error=None,
        )
    elif result.outcome == "transient" and message.attempts < max_attempts:
        values.update(
            status="queued",
            next_attempt_at=now + backoff(message.attempts, retry_base_s),
            last_error=result.status,
        )
    else:
        gave_up = result.outcome == "transient"
        values.update(
            status="failed",
            failed_at=now,
            failure_reason=result.status[:64],
            last_error=(f"gave up after {message.attempts} attempts: " if gave_up else "") + result.status,
        )
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
) -> None:
    """The answers for `chunk`, all in one transaction. A message with no result of its own (the
    provider left it out) counts as a transient failure."""
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
        outcome = row_update(
            message, result, now, provider=provider, max_attempts=max_attempts, retry_base_s=retry_base_s
        )
        if message.scrub and outcome["status"] in ("sent", "failed"):
            # A message to an anonymous reporter: once the provider has it (or never will),
            # nothing of it stays — not the number, the text, the provider's id or the time.
            gone.append(message.id)
        else:
            updates.append(outcome)
        if result.opted_out:
            # Under every configured key: during a key rotation the contact may be under an old one.
            opted_out.extend(vault.lookup_hashes(message.phone))
    async with sessionmaker() as db, db.begin():
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
