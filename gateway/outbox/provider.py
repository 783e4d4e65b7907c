"""The one small interface every SMS provider (channel) implements, and the `log` provider.

Required: `name`, `max_recipients`, `async send(body, recipients)`. Optional, looked up with
`getattr` so that a provider without them keeps working (docs/channels.md, "How to add a channel"):
- `rate_per_s: float`: the channel's own pace (messages per second, 0 for none); without it,
  GATEWAY_SMS_RATE_PER_S.
- `async check() -> ChannelCheck`: can it authenticate and reach its provider now? For
  `gateway channels check`; without it the channel is reported as not checkable.
- `async send_messages(body, messages, confirm) -> list[RecipientResult]`: for a provider that
  makes one request per message and may wait before each (a phone's pace): it calls
  `await confirm(message, ref, pin)` right before each request and sends only when that says
  True (the dispatcher still holds the claim, and now has `ref`, the id the provider will know
  the message by, in the database). One result per message, in order. Without it the dispatcher
  confirms the whole request before `send`.
- `keeps_copies: bool`: the channel keeps a copy of what it sends where the gateway cannot erase
  it (a phone's sent box): no message to an anonymous reporter (`scrub_after_send`) goes
  through it.
- `uncertain_hold_s: float`: how long a message whose request may have been accepted waits before
  it is retried (on this channel only); without it, the usual backoff.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

log = logging.getLogger("gateway.sms.log_provider")

# accepted: the provider has it. permanent: this channel never will. transient: it did not take
# it (the request never left, or it said no for now). uncertain: the request may have been taken
# (a timeout or a dropped connection after it was written, a 5xx to a send that is not
# idempotent): it is retried on the same channel only, never handed to another.
Outcome = Literal["accepted", "permanent", "transient", "uncertain"]


@dataclass(frozen=True)
class RecipientResult:
    phone: str
    outcome: Outcome
    status: str  # the provider's own word for it, kept for people
    message_id: str | None = None
    cost: str | None = None
    # The provider says this number refuses our messages (AT 406 UserInBlacklist).
    opted_out: bool = False
    # The provider asked us to wait this long before the next request (HTTP 429 Retry-After).
    retry_after: float | None = None
    # For an uncertain result: where the request went, in the channel's own terms (a phone's
    # name), so that the retry goes there with the same `message_id`. Kept in the database.
    pin: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """One outbox message for `send_messages`. `ref` and `pin`: the id and the place of an earlier
    request whose fate is unknown (an uncertain result); the retry must use them."""

    id: int
    phone: str
    ref: str | None = None
    pin: str | None = None


# confirm(message, ref, pin): the claim is still this worker's (and is renewed), `ref` and `pin`
# are stored as the message's provider id and place; False: another worker has it, do not send.
Confirm = Callable[[Outgoing, str | None, str | None], Awaitable[bool]]
# The result a provider gives for a message whose claim was lost: not sent, not recorded.
CLAIM_LOST = "ClaimLost"


class ProviderError(Exception):
    """The whole request failed. Transient errors (network, 5xx, timeouts) are retried."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool = True,
        retry_after: float | None = None,
        uncertain: bool = False,
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        # The request may have been taken (a timeout after it was sent): see `Outcome`.
        self.uncertain = uncertain

    @property
    def outcome(self) -> Outcome:
        if self.uncertain:
            return "uncertain"
        return "transient" if self.transient else "permanent"


@dataclass(frozen=True)
class ChannelCheck:
    """What `check()` found: whether the channel can authenticate and reach its provider, and a
    short line for the operator (never a phone number or a secret)."""

    ok: bool
    detail: str


class SmsProvider(Protocol):
    name: str
    max_recipients: int

    async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
        """Send one text to several numbers in one request; one result per recipient."""
        ...


async def check_provider(provider: SmsProvider) -> ChannelCheck | None:
    """The provider's own check, or None when it has none. A check that raises has failed."""
    check = getattr(provider, "check", None)
    if check is None:
        return None
    try:
        result = await check()
    except Exception as exc:  # a provider's bug is a failed check, not a crashed command
        return ChannelCheck(False, f"check raised {type(exc).__name__}")
    if not isinstance(result, ChannelCheck):
        return ChannelCheck(bool(result), "checked")
    return result


def provider_rate(provider: SmsProvider, default: float) -> float:
    """The provider's own rate (`rate_per_s`), or the default one."""
    rate = getattr(provider, "rate_per_s", None)
    return float(rate) if isinstance(rate, int | float) and rate >= 0 else default


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

    async def check(self) -> ChannelCheck:
        return ChannelCheck(True, "log provider: nothing is sent")


_HEX_LETTERS = "abcdef"


def log_message_id() -> str:
    """log-<16 hex>, first and last a letter. The log masker hides digits at the edge of a hex id
    (they may be a phone number glued to it) but not digits between its letters: an id such as
    log-1234567a… would otherwise show garbled in the very line that reports it."""
    raw = secrets.token_hex(8)
    return f"log-{_HEX_LETTERS[int(raw[0], 16) % 6]}{raw[1:-1]}{_HEX_LETTERS[int(raw[-1], 16) % 6]}"
