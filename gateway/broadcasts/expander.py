"""Turning due broadcasts into outbox rows, a batch per transaction.

A batch writes the recipients, their messages and the broadcast's cursor together, so a worker
that dies mid-way leaves either the whole batch or none of it; the next claim goes on from the
cursor, and (broadcast, contact) is unique besides. Pausing or cancelling stops at the next batch.

A broadcast that cannot be expanded for a reason of its own (its meeting's time zone does not
exist, say) is marked failed, with the reason, the first time: retrying it every second would
hold up every broadcast due after it. Database errors are not its fault and are retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gateway.areas.directory import CachedDirectory
from gateway.broadcasts.errors import BrokenBroadcast
from gateway.broadcasts.models import Broadcast, BroadcastRecipient, Subscription
from gateway.broadcasts.service import audience_communes, reads_chosen_language
from gateway.broadcasts.texts import BroadcastTexts
from gateway.config import Settings
from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.db.engine import SessionMaker
from gateway.i18n.languages import CODES
from gateway.ops.loop import repeat
from gateway.ops.metrics import BROADCAST_MESSAGES
from gateway.outbox.models import OutboundMessage
from gateway.outbox.service import SmsText, sms_text

log = logging.getLogger(__name__)


class BroadcastExpander:
    def __init__(
        self,
        sessionmaker: SessionMaker,
        texts: BroadcastTexts,
        directory: CachedDirectory,
        settings: Settings,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.texts = texts
        self.directory = directory
        self.settings = settings
        self.batch = settings.broadcast_batch_size
        self.pause: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def run(self, stop: asyncio.Event) -> None:
        await repeat("broadcast expansion", self.expand_batch, stop, self.settings.dispatch_poll_s)

    async def expand_all(self, now: datetime | None = None) -> int:
        total = 0
        while created := await self.expand_batch(now):
            total += created
        return total

    async def expand_batch(self, now: datetime | None = None) -> int:
        """One batch, then, on SQLite, a pause as long as the batch held the write lock.

        SQLite has one writer, and its busy handler is not fair: an expander that takes the lock
        again at once keeps every USSD hop and API call waiting until the whole notice is
        expanded (measured: 6.6 s for 20,000 subscribers, every request blocked throughout).
        Leaving the lock free half the time bounds their wait to about one batch."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        created = await self.expand_once(now)
        if created and self.settings.is_sqlite:
            await self.pause(min(loop.time() - started, 1.0))
        return created

    async def expand_once(self, now: datetime | None = None) -> int:
        """One batch of one due broadcast; returns the messages it queued (0: nothing due).
        A broadcast that fails is set aside and the next due one is taken in the same call."""
        while True:
            async with self.sessionmaker() as db, db.begin():
                broadcast = await self._claim(db, now or utcnow())
                if broadcast is None:
                    return 0
                broadcast_id = broadcast.id
                try:
                    # A savepoint: what the failing batch wrote goes, the failure itself is kept.
                    async with db.begin_nested():
                        return await self._batch(db, broadcast)
                except (SQLAlchemyError, OSError):
                    raise  # the database or the machine, not the broadcast: the next pass retries
                except Exception as exc:
                    await self._fail(db, broadcast_id, exc)

    async def _claim(self, db: AsyncSession, now: datetime) -> Broadcast | None:
        return (
            await db.execute(
                select(Broadcast)
                .where(Broadcast.status.in_(("scheduled", "expanding")), Broadcast.send_at <= now)
                .order_by(Broadcast.send_at, Broadcast.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).scalar_one_or_none()

    async def _batch(self, db: AsyncSession, broadcast: Broadcast) -> int:
        # Every language is rendered before anyone is sent anything, so that a text that cannot
        # be made stops the broadcast before its first batch, not half-way.
        rendered = {language: (await self.texts.render(db, broadcast, language)).text for language in CODES}
        broadcast.status = "expanding"
        contacts = await self._next_contacts(db, broadcast)
        created = await self._queue(db, broadcast, contacts, rendered)
        if contacts:
            broadcast.cursor = contacts[-1]["id"]
        if len(contacts) < self.batch:
            broadcast.status, broadcast.finished_at = "done", utcnow()
            log.info("broadcast %d expanded", broadcast.id)
        await db.flush()
        return max(created, 1)  # a batch with nothing to send still counts as progress

    async def _fail(self, db: AsyncSession, broadcast_id: int, exc: Exception) -> None:
        if isinstance(exc, BrokenBroadcast):
            reason = str(exc)
            log.error("broadcast %d failed: %s", broadcast_id, reason)
        else:
            reason = f"{type(exc).__name__}: {exc}"
            log.error("broadcast %d failed: %s", broadcast_id, reason, exc_info=exc)
        await db.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(status="failed", failure_reason=reason[:2000], finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    async def _next_contacts(self, db: AsyncSession, broadcast: Broadcast) -> list[dict[str, Any]]:
        if broadcast.kind == "reminder":
            # Those the notice reached who have not said no.
            query = (
                select(
                    Contact.id,
                    Contact.language,
                    Contact.phone_encrypted,
                    Contact.phone_hash,
                    BroadcastRecipient.area_id,
                )
                .join(BroadcastRecipient, BroadcastRecipient.contact_id == Contact.id)
                .where(
                    BroadcastRecipient.broadcast_id == broadcast.parent_id,
                    (BroadcastRecipient.rsvp.is_(None)) | (BroadcastRecipient.rsvp == "yes"),
                )
            )
        else:
            communes = sorted(await audience_communes(db, await self.directory.get(db), broadcast)) or [-1]
            query = (
                select(
                    Contact.id,
                    Contact.language,
                    Contact.phone_encrypted,
                    Contact.phone_hash,
                    func.min(Subscription.area_id),
                )
                .join(Subscription, Subscription.contact_id == Contact.id)
                .where(Subscription.area_id.in_(communes))
                .group_by(Contact.id, Contact.language, Contact.phone_encrypted, Contact.phone_hash)
            )
        already = aliased(BroadcastRecipient)
        # The cursor keeps batches apart; this keeps anyone from a second copy whatever happens to it.
        not_yet = ~exists().where(already.broadcast_id == broadcast.id, already.contact_id == Contact.id)
        rows = await db.execute(
            query.where(
                Contact.id > broadcast.cursor,
                Contact.opted_out_at.is_(None),
                reads_chosen_language(broadcast),
                not_yet,
            )
            .order_by(Contact.id)
            .limit(self.batch)
        )
        return [
            {
                "id": r[0],
                "language": r[1] or "fr",
                "phone_encrypted": r[2],
                "phone_hash": r[3],
                "area_id": r[4],
            }
            for r in rows
        ]

    async def _queue(
        self,
        db: AsyncSession,
        broadcast: Broadcast,
        contacts: list[dict[str, Any]],
        texts: dict[str, str | None],
    ) -> int:
        bodies: dict[str, SmsText | None] = {}
        messages: list[dict[str, Any]] = []
        recipients: list[dict[str, Any]] = []
        now = utcnow()
        for contact in contacts:
            language = contact["language"]
            if language not in bodies:
                text = texts.get(language)
                bodies[language] = sms_text(text, language, self.settings.sms_gsm7) if text else None
            sms = bodies[language]
            if sms is None:
                continue  # no text in their language and French not allowed: the preview said so
            messages.append(
                {
                    "created_at": now,
                    "kind": "notice",
                    "contact_id": contact["id"],
                    "phone_hash": contact["phone_hash"],
                    "phone_encrypted": contact["phone_encrypted"],
                    "language": language,
                    "body": sms.body,
                    "encoding": sms.encoding,
                    "segments": sms.segments,
                    "status": "queued",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "scrub_after_send": False,
                }
            )
            recipients.append(
                {
                    "broadcast_id": broadcast.id,
                    "contact_id": contact["id"],
                    "area_id": contact["area_id"],
                    "language": language,
                }
            )
        if not messages:
            return 0
        ids = (
            (
                await db.execute(
                    insert(OutboundMessage).returning(OutboundMessage.id, sort_by_parameter_order=True),
                    messages,
                )
            )
            .scalars()
            .all()
        )
        for recipient, message_id in zip(recipients, ids, strict=True):
            recipient["message_id"] = message_id
        await db.execute(insert(BroadcastRecipient), recipients)
        BROADCAST_MESSAGES.labels(broadcast.kind).inc(len(messages))
        return len(messages)
