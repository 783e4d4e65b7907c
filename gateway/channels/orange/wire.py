"""Orange's wire format: the send request, what its answers and errors say, its delivery statuses.

Confirmed in Orange's own pages (docs/channels.md, "What was checked"): the token request and
answer, the send path with the sender in it, 201 on success, the error codes of its API gateway
(401 with code 40/41/42). From public integrations, not Orange's own text: the `requestError`
body with `serviceException`/`policyException`, the `resourceURL` of the answer, the body of a
delivery receipt. Unknown words are kept as they came, never guessed into something else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from gateway.outbox.provider import Outcome

CHANNEL: Final = "orange"
TOKEN_PATH: Final = "/oauth/v3/token"

# deliveryInfo.deliveryStatus -> the outbox's status; None leaves the message where it is.
DELIVERY_STATUSES: Final[dict[str, str | None]] = {
    "DeliveredToTerminal": "delivered",
    "DeliveryImpossible": "failed",
    "DeliveredToNetwork": "sent",
    "MessageWaiting": "sent",
    "DeliveryUncertain": None,
    "DeliveryNotificationNotSupported": None,
}


def send_path(sender: str) -> str:
    """/smsmessaging/v1/outbound/tel%3A%2B{sender}/requests, the sender without its +."""
    return f"/smsmessaging/v1/outbound/{quote('tel:+' + sender.lstrip('+'), safe='')}/requests"


def correlator(outbox_id: int) -> str:
    """OneAPI's `clientCorrelator` for an outbox message: the same on every retry of it. Whether
    Orange refuses a second request with the same one is not confirmed (docs/channels.md)."""
    return f"gw-{outbox_id}"


def send_body(
    sender: str, recipient: str, text: str, sender_name: str | None, client_correlator: str | None = None
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "address": f"tel:{recipient}",
        "senderAddress": f"tel:+{sender.lstrip('+')}",
        "outboundSMSTextMessage": {"message": text},
    }
    if sender_name:
        request["senderName"] = sender_name
    if client_correlator:
        request["clientCorrelator"] = client_correlator
    return {"outboundSMSMessageRequest": request}


def message_id(payload: Any, location: str | None) -> str | None:
    """The id at the end of the answer's resourceURL (or its Location header)."""
    url = None
    if isinstance(payload, dict):
        request = payload.get("outboundSMSMessageRequest")
        if isinstance(request, dict) and isinstance(request.get("resourceURL"), str):
            url = request["resourceURL"]
    url = url or location
    if not url:
        return None
    last = url.rstrip("/").rsplit("/", 1)[-1]
    return last[:128] or None


@dataclass(frozen=True)
class Failure:
    outcome: Outcome
    status: str  # Orange's own word for it, for people: SVC0004, POL0001, HTTP 401 (42) …
    renew_token: bool = False
    pin: str | None = None  # for an uncertain one: where it may be ("api")


def classify(status: int, body: bytes) -> Failure:
    """A non-201 answer to a send: transient (worth retrying, here or on the next channel),
    uncertain (a 5xx: maybe taken; retried through Orange only) or permanent (this number,
    through this channel, will not go)."""
    word = error_word(status, body)
    if status == 401:
        return Failure("transient", word, renew_token=True)
    if status >= 500:
        # A send is not idempotent: a 5xx may come after Orange took the message.
        return Failure("uncertain", word, pin="api")
    if status in (404, 408, 409, 429):
        # 404: the sender path is not ours (a setting), 429: too fast; nothing wrong with the number.
        return Failure("transient", word)
    return Failure("permanent", word)


def error_word(status: int, body: bytes) -> str:
    try:
        payload = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        payload = None
    if isinstance(payload, dict):
        error = payload.get("requestError")
        if isinstance(error, dict):
            for kind in ("serviceException", "policyException"):
                detail = error.get(kind)
                if isinstance(detail, dict) and detail.get("messageId"):
                    return f"{detail['messageId']}"[:64]
        code = payload.get("code")
        if code is not None:
            return f"HTTP {status} ({str(code)[:16]})"
    return f"HTTP {status}"


def retry_after(value: str | None, default: float) -> float:
    """Retry-After in seconds (an HTTP date is not worth parsing here: the default then)."""
    try:
        seconds = float(value) if value is not None else default
    except ValueError:
        seconds = default
    return min(max(seconds, 0.0), 3600.0)
