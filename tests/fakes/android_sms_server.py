"""A fake of one phone running SMS Gateway for Android in Local Server mode, on loopback.

What it copies from the app (capcom6/android-sms-gateway, `modules/localserver/WebService.kt`,
`routes/MessagesRoutes.kt`, `modules/webhooks`; docs.sms-gate.app):
- `GET /health` without authentication: 200 with `{"status": "pass", "checks": {...}}`, 500 with
  the same shape when a check fails (the app answers FAIL with 500).
- Everything else behind Basic auth; wrong credentials get 401 with `WWW-Authenticate` and no body.
- `POST /messages` (and `/message`): `textMessage.text` (or the deprecated `message`) and
  `phoneNumbers`, an optional `id`; 202 with the message's state `{"id", "deviceId", "state":
  "Pending", "recipients": [{"phoneNumber", "state", "error"}], ...}`; 400 `{"message": ...}` for
  a request the app refuses; 409 `{"message": "Message with the same ID already exists"}` for an
  id it has. `GET /messages/{id}`: 200 or 404. `GET`/`POST /webhooks`.
- Webhooks it would post: `{"deviceId", "event", "id", "payload", "webhookId"}`, signed with
  `X-Signature` = hex HMAC-SHA256(signing key, body + X-Timestamp).
Faults: requests dropped after being read (the message kept or not, as a phone that took it and
died), 5xx answers, answers held until released, going offline (connections refused) after a
number of messages, and coming back.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.loopback import HoldingLoopbackServer, write_response

E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@dataclass
class Faults:
    server_errors: int = 0  # HTTP 500 on POST /messages, the message not stored
    drops: int = 0  # read, then the connection closed without an answer
    keep_dropped: bool = False  # a dropped message was stored first (the phone will send it)
    hold: int = 0  # answered only when the test calls `release()`
    offline_after: int | None = None  # after this many messages accepted, the phone goes silent
    health_fail: bool = False  # /health answers 500 (a failing check), the phone still sends


@dataclass
class Sent:
    id: str
    text: str
    to: list[str]
    sim: int | None


@dataclass(frozen=True)
class Webhook:
    body: bytes
    headers: dict[str, str]


@dataclass
class FakePhone(HoldingLoopbackServer):
    """Requests held (`Faults.hold`) wait for `release()` (tests/fakes/loopback.py)."""

    thread_name = "fake-android-phone"
    what = "fake phone"

    username: str = "sms"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    signing_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    device_id: str = field(default_factory=lambda: secrets.token_urlsafe(15)[:21])
    own_number: str | None = "+22370000099"

    def __post_init__(self) -> None:
        super().__init__()
        self.faults = Faults()
        self.messages: dict[str, Sent] = {}
        self.requests = 0
        self.webhooks: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sent_to(self, number: str) -> list[str]:
        with self._lock:
            return [m.text for m in self.messages.values() if number in m.to]

    # -- webhooks the app would post ------------------------------------------------------

    def sign(self, body: bytes, timestamp: int | None = None, key: str | None = None) -> Webhook:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        mac = hmac.new((key or self.signing_key).encode(), body + stamp.encode(), hashlib.sha256)
        return Webhook(
            body,
            {"Content-Type": "application/json", "X-Signature": mac.hexdigest(), "X-Timestamp": stamp},
        )

    def event(self, event: str, payload: dict[str, Any], event_id: str | None = None) -> bytes:
        envelope = {
            "deviceId": self.device_id,
            "event": event,
            "id": event_id or secrets.token_urlsafe(15)[:21],
            "payload": payload,
            "webhookId": secrets.token_urlsafe(15)[:21],
        }
        # The app serialises with Gson: compact, in declaration order.
        return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def received(
        self, sender: str, text: str, at: datetime | None = None, event_id: str | None = None
    ) -> Webhook:
        moment = (at or datetime.now(UTC)).replace(microsecond=0)
        content = f"{sender}|{text}|{moment.isoformat()}"
        payload = {
            # The app's id is the message's hashCode as unsigned hex: content-made, 32 bits.
            "messageId": format(int(hashlib.md5(content.encode()).hexdigest()[:8], 16), "x"),
            "message": text,
            "sender": sender,
            "recipient": self.own_number,
            "phoneNumber": sender,
            "simNumber": 1,
            "receivedAt": moment.strftime("%Y-%m-%dT%H:%M:%S.000+00:00"),
        }
        return self.sign(self.event("sms:received", payload, event_id))

    def status(self, event: str, message_id: str, to: str, reason: str = "") -> Webhook:
        field_name = {"sms:sent": "sentAt", "sms:delivered": "deliveredAt", "sms:failed": "failedAt"}[event]
        payload: dict[str, Any] = {
            "messageId": message_id,
            "sender": self.own_number,
            "recipient": to,
            "phoneNumber": to,
            "simNumber": 1,
            field_name: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00"),
        }
        if event == "sms:sent":
            payload["partsCount"] = 1
        if event == "sms:failed":
            payload["reason"] = reason or "Send result: RESULT_ERROR_GENERIC_FAILURE"
        return self.sign(self.event(event, payload))

    # -- lifecycle ------------------------------------------------------------------------

    def go_offline(self) -> None:
        """Connections refused from now on, as a phone whose app or Wi-Fi stopped."""
        self._call(self._close_listener)

    def come_back(self) -> None:
        self.faults.offline_after = None
        self._call(self._listen)

    def _call(self, function: Any) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(function(), self._loop).result(10)

    # -- HTTP -----------------------------------------------------------------------------

    async def _answer(
        self, writer: asyncio.StreamWriter, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> bool:
        if self._server is None:  # went offline with this connection open
            writer.transport.abort()
            return True
        with self._lock:
            self.requests += 1
        if method == "GET" and path == "/health":
            status = 500 if self.faults.health_fail else 200
            await _write(writer, status, _health(self.faults.health_fail))
            return False
        if headers.get("authorization") != _basic(self.username, self.password):
            await _write(
                writer,
                401,
                None,
                {"WWW-Authenticate": 'Basic realm="Access to SMS Gateway", charset=UTF-8'},
            )
            return False
        if method == "POST" and path.split("?")[0] in ("/messages", "/message"):
            return await self._post_message(writer, body)
        status, payload = self._other(method, path.split("?")[0], body)
        await _write(writer, status, payload)
        return False

    async def _post_message(self, writer: asyncio.StreamWriter, body: bytes) -> bool:
        """Answers one POST /messages; True when the connection was dropped."""
        faults = self.faults
        with self._lock:
            accepted = len(self.messages)
        if faults.offline_after is not None and accepted >= faults.offline_after:
            # Silent mid-batch: this request is read and never answered, and nothing after it gets in.
            await self._close_listener()
            writer.transport.abort()
            return True
        if faults.server_errors > 0:
            faults.server_errors -= 1
            await _write(writer, 500, {"message": "Internal error"})
            return False
        status, payload = self._enqueue(body, store=faults.drops == 0 or faults.keep_dropped)
        if faults.drops > 0:
            faults.drops -= 1
            writer.transport.abort()
            return True
        if faults.hold > 0:
            faults.hold -= 1
            await self._held()
        await _write(writer, status, payload)
        return False

    def _enqueue(self, body: bytes, store: bool) -> tuple[int, dict[str, Any]]:
        try:
            data = json.loads(body)
        except ValueError:
            return 400, {"message": "Failed to convert request body to class PostMessageRequest"}
        text = (data.get("textMessage") or {}).get("text") if data.get("textMessage") else data.get("message")
        kinds = [k for k in ("textMessage", "dataMessage", "message") if data.get(k) is not None]
        if len(kinds) != 1:
            return 400, {"message": "Must specify exactly one of: textMessage, dataMessage, or message"}
        numbers = data.get("phoneNumbers") or []
        if not text:
            return 400, {"message": "Text message is empty"}
        if not numbers:
            return 400, {"message": "Empty phone numbers list"}
        bad = next((n for n in numbers if not E164.fullmatch(str(n))), None)
        if bad is not None:
            return 400, {"message": f"Invalid phone number: {bad}"}
        message_id = data.get("id") or secrets.token_urlsafe(15)[:21]
        with self._lock:
            if message_id in self.messages:
                return 409, {"message": "Message with the same ID already exists"}
            if store:
                self.messages[message_id] = Sent(message_id, text, list(numbers), data.get("simNumber"))
        return 202, _state(message_id, self.device_id, numbers, "Pending")

    def _other(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        if method == "GET" and path.startswith(("/messages/", "/message/")):
            message_id = path.rsplit("/", 1)[1]
            with self._lock:
                sent = self.messages.get(message_id)
            if sent is None:
                return 404, None
            return 200, _state(sent.id, self.device_id, sent.to, "Processed")
        if path in ("/webhooks", "/webhook"):
            if method == "GET":
                with self._lock:
                    return 200, list(self.webhooks)
            if method == "POST":
                data = json.loads(body or b"{}")
                if not str(data.get("url", "")).startswith(("https://", "http://127.0.0.1")):
                    return 400, {"message": "url must start with https:// or http://127.0.0.1"}
                hook = {
                    "id": data.get("id") or secrets.token_urlsafe(15)[:21],
                    "url": data["url"],
                    "event": data["event"],
                }
                with self._lock:
                    self.webhooks = [h for h in self.webhooks if h["id"] != hook["id"]] + [hook]
                return 201, hook
        return 404, None


def _state(message_id: str, device_id: str, numbers: list[str], state: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "deviceId": device_id,
        "state": state,
        "isHashed": False,
        "isEncrypted": False,
        "recipients": [{"phoneNumber": n, "state": state, "error": None} for n in numbers],
        "states": {state: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")},
    }


def _health(failing: bool) -> dict[str, Any]:
    battery = 8 if failing else 94
    return {
        "checks": {
            "battery:level": {
                "description": "Battery level in percent",
                "observedUnit": "percent",
                "observedValue": battery,
                "status": "fail" if failing else "pass",
            },
            "connection:status": {
                "description": "Internet connection status",
                "observedUnit": "boolean",
                "observedValue": 1,
                "status": "pass",
            },
        },
        "releaseId": 1,
        "status": "fail" if failing else "pass",
        "version": "1.0.0",
    }


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


REASONS = {200: "OK", 201: "Created", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized"}
REASONS |= {404: "Not Found", 409: "Conflict", 500: "Internal Server Error"}


async def _write(
    writer: asyncio.StreamWriter, status: int, payload: Any, extra: dict[str, str] | None = None
) -> None:
    content = b"" if payload is None else json.dumps(payload).encode()
    json_type = {} if payload is None else {"Content-Type": "application/json; charset=UTF-8"}
    await write_response(writer, status, REASONS.get(status, "OK"), {**json_type, **(extra or {})}, content)
