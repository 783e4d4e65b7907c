"""Putting SMS in the outbox: rendered for the recipient, costed in segments, sent later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.base import utcnow
from gateway.i18n.gsm7 import sms_encoding, to_gsm7
from gateway.outbox.models import OutboundMessage
from gateway.security.keys import PhoneVault

KINDS = ("receipt", "reply", "alert", "summary", "notice")


@dataclass(frozen=True)
class SmsText:
    body: str
    encoding: str
    segments: int


def sms_text(text: str, language: str, gsm7: bool) -> SmsText:
    """The body as it will be sent; a long text is split into segments by the network, never cut."""
    body = to_gsm7(text, language) if gsm7 else text
    encoding = sms_encoding(body)
    return SmsText(body, encoding.name, encoding.segments)


class Outbox:
    def __init__(self, vault: PhoneVault, gsm7: bool) -> None:
        self.vault = vault
        self.gsm7 = gsm7

    async def enqueue(
        self,
        db: AsyncSession,
        *,
        phone: str,
        text: str,
        language: str,
        kind: str,
        contact_id: int | None = None,
        scrub_after_send: bool = False,
    ) -> OutboundMessage:
        """Adds the message to the caller's transaction: it exists only if that transaction commits."""
        message = OutboundMessage(
            **self.message_values(
                phone=phone,
                text=text,
                language=language,
                kind=kind,
                contact_id=contact_id,
                scrub_after_send=scrub_after_send,
                now=utcnow(),
            )
        )
        db.add(message)
        return message

    def message_values(
        self,
        *,
        phone: str,
        text: str,
        language: str,
        kind: str,
        now: datetime,
        contact_id: int | None = None,
        scrub_after_send: bool = False,
    ) -> dict[str, Any]:
        """A queued message's row, column by column (also what the lean USSD hop inserts itself)."""
        if kind not in KINDS:
            raise ValueError(f"unknown message kind {kind!r}")
        rendered = sms_text(text, language, self.gsm7)
        return {
            "created_at": now,
            "kind": kind,
            "contact_id": contact_id,
            "phone_hash": "" if scrub_after_send else self.vault.lookup_hash(phone),
            "phone_encrypted": self.vault.encrypt(phone),
            "language": language,
            "body": rendered.body,
            "encoding": rendered.encoding,
            "segments": rendered.segments,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "scrub_after_send": scrub_after_send,
        }
