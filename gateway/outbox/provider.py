"""The one small interface every SMS provider implements, and the `log` provider."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

log = logging.getLogger("gateway.sms.log_provider")

Outcome = Literal["accepted", "permanent", "transient"]


@dataclass(frozen=True)
class RecipientResult:
    phone: str
    outcome: Outcome
    status: str  # the provider's own word for it, kept for people
    message_id: str | None = None
    cost: str | None = None
    # The provider says this number refuses our messages (AT 406 UserInBlacklist).
    opted_out: bool = False


class ProviderError(Exception):
    """The whole request failed. Transient errors (network, 5xx, timeouts) are retried."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class SmsProvider(Protocol):
    name: str
    max_recipients: int

    async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
        """Send one text to several numbers in one request; one result per recipient."""
        ...


class LogProvider:
    """The default: records and prints each message, sends nothing anywhere."""

    name = "log"
    max_recipients = 1000

    async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
        # The text, never the number, not even masked: a receipt's reference next to the number
        # that asked for it is what anonymity must not leave in a log.
        results = [
            RecipientResult(phone, "accepted", "Logged", log_message_id(), "0") for phone in recipients
        ]
        log.info(
            "SMS (not sent, log provider) to %d number(s) [%s]: %s",
            len(recipients),
            ", ".join(r.message_id or "" for r in results),
            body,
        )
        return results


_HEX_LETTERS = "abcdef"


def log_message_id() -> str:
    """log-<16 hex>, first and last a letter. The log masker hides digits at the edge of a hex id
    (they may be a phone number glued to it) but not digits between its letters: an id such as
    log-1234567a… would otherwise show garbled in the very line that reports it."""
    raw = secrets.token_hex(8)
    return f"log-{_HEX_LETTERS[int(raw[0], 16) % 6]}{raw[1:-1]}{_HEX_LETTERS[int(raw[-1], 16) % 6]}"
