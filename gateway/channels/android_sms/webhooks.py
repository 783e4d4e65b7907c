"""The app's webhooks: their signature, and what each event says, as neutral values.

Wire format (capcom6/android-sms-gateway, `modules/webhooks`; docs.sms-gate.app, features/webhooks):
a JSON POST `{"deviceId", "event", "id", "payload": {...}, "webhookId"}`, signed with the key set
in the app: `X-Signature` is the hex HMAC-SHA256 of the raw body followed by `X-Timestamp` (Unix
seconds, as text). `id` is drawn once per event and kept through the app's retries; the app retries
any answer that is not 2xx (10 s, doubling, 15 times by default), so what we cannot use is
answered 200 and ignored, and only a body no app would send gets a 4xx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Final

from gateway.security.text import strip_controls

# A concatenated SMS is at most 255 parts; 1,600 characters is more than any phone here sends.
MAX_TEXT = 1600
# The app's events for our outgoing messages, and what each means for the outbox.
STATUS_EVENTS: Final = {
    "sms:sent": "sent",
    "sms:delivered": "delivered",
    "sms:failed": "failed",
    "sms:cancelled": "failed",
}
RECEIVED = "sms:received"


class WebhookError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ReceivedSms:
    event_id: str
    device_id: str
    message_id: str  # made by the app from the message itself: "not guaranteed to be unique"
    sender: str  # as the app wrote it; normalised by the caller
    text: str
    received_at: str  # as the app wrote it (the phone's local time, with its offset)
    recipient: str  # the phone's own number, when the app knows it

    @property
    def dedupe_key(self) -> str:
        """The same SMS under every webhook that reports it (a second registration gets another
        event id), and never two SMS: the app's content id alone may collide, its time with it not."""
        if self.message_id:
            return f"{self.device_id}|{self.message_id}|{self.received_at}"
        return f"{self.device_id}|event|{self.event_id}"


@dataclass(frozen=True)
class StatusUpdate:
    event: str
    message_id: str
    status: str  # sent | delivered | failed
    reason: str | None


@dataclass(frozen=True)
class Ignored:
    event: str
    why: str


Event = ReceivedSms | StatusUpdate | Ignored


def signature(key: str, body: bytes, timestamp: str) -> str:
    """What the app puts in X-Signature (PayloadSigningPlugin: HMAC-SHA256 of body + timestamp)."""
    return hmac.new(key.encode("utf-8"), body + timestamp.encode("ascii"), hashlib.sha256).hexdigest()


def verify(
    key: str, body: bytes, timestamp: str | None, given: str | None, now: float, max_age_s: float
) -> None:
    """Raises a 401 WebhookError unless the body is signed with `key` at a time within `max_age_s`
    of `now`. The signature is over the exact bytes received, compared in constant time."""
    if not timestamp or not given:
        raise WebhookError(401, "missing X-Signature or X-Timestamp")
    stamp = timestamp.strip()
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise WebhookError(401, "X-Timestamp is not Unix seconds")
    if abs(now - int(stamp)) > max_age_s:
        raise WebhookError(401, "X-Timestamp outside the accepted window")
    expected = signature(key, body, stamp).encode("ascii")
    if not hmac.compare_digest(expected, given.strip().lower().encode("utf-8", "replace")):
        raise WebhookError(401, "bad signature")


def parse(body: bytes) -> Event:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WebhookError(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookError(400, "body must be a JSON object")
    event = _text(data, "event", 32)
    event_id = _text(data, "id", 64)
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise WebhookError(400, "field 'payload' must be an object")
    if event == RECEIVED:
        return _received(data, event_id, payload)
    if event in STATUS_EVENTS:
        reason = _optional(payload, "reason", 200)
        return StatusUpdate(
            event, _text(payload, "messageId", 128, "payload."), STATUS_EVENTS[event], reason or None
        )
    # system:ping, mms:*, sms:data-received, app:started, and whatever a newer app adds.
    return Ignored(event, "event not used")


def _received(data: dict[str, Any], event_id: str, payload: dict[str, Any]) -> Event:
    # `sender` since the app's 2026-02 payloads; `phoneNumber` before (kept, deprecated).
    sender = _optional(payload, "sender", 64) or _optional(payload, "phoneNumber", 64)
    if not sender.strip():
        raise WebhookError(400, "field 'payload.sender' required")
    text = payload.get("message")
    if text is not None and not isinstance(text, str):
        raise WebhookError(400, "field 'payload.message' must be a string")
    text = strip_controls(text or "")
    if len(text) > MAX_TEXT:
        raise WebhookError(413, f"field 'payload.message' too long (at most {MAX_TEXT} characters)")
    if not text.strip():
        return Ignored(RECEIVED, "empty message")
    return ReceivedSms(
        event_id=event_id,
        device_id=_optional(data, "deviceId", 64),
        message_id=_optional(payload, "messageId", 64),
        sender=sender.strip(),
        text=text,
        received_at=_optional(payload, "receivedAt", 40),
        recipient=_optional(payload, "recipient", 32),
    )


def _text(data: dict[str, Any], name: str, limit: int, path: str = "") -> str:
    value = data.get(name)
    if not isinstance(value, str) or not strip_controls(value).strip():
        raise WebhookError(400, f"field '{path}{name}' required")
    value = strip_controls(value).strip()
    if len(value) > limit:
        raise WebhookError(400, f"field '{path}{name}' too long (at most {limit} characters)")
    return value


def _optional(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    return strip_controls(value).strip()[:limit] if isinstance(value, str) else ""
