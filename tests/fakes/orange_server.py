"""A fake of Orange's SMS API on loopback, one per test (its own port, its own application keys).

What it copies (docs/channels.md, "What was checked"): POST /oauth/v3/token with a Basic
Authorization header and `grant_type=client_credentials`, answered 200 JSON `token_type`,
`access_token`, `expires_in` (a string, as Orange's page shows it); POST
/smsmessaging/v1/outbound/tel%3A%2B{sender}/requests with a Bearer token and the JSON
`outboundSMSMessageRequest`, answered 201 with the request and its `resourceURL`; 401 with
code 41 (invalid credentials) or 42 (expired token) in Orange's gateway error shape; errors of the
API itself as `requestError` with `serviceException` (400) or `policyException` (403).
Faults: 5xx, 429 with Retry-After, dropped connections, slow answers, chosen errors for chosen
numbers, and every token issued so far expired at once (a token that dies mid-broadcast).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.fakes.loopback import LoopbackServer, write_response

REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class Faults:
    """What the next send requests get. Counters count down, one per request they apply to."""

    server_errors: int = 0  # HTTP 503
    throttled: int = 0  # HTTP 429 with Retry-After
    retry_after: str = "2"
    drops: int = 0  # the connection closed without an answer
    slow: int = 0  # answered after `slow_s`
    slow_s: float = 15.0
    token_errors: int = 0  # the token endpoint answers 503
    # After this many more messages accepted, every token issued so far expires (mid-broadcast).
    expire_tokens_after: int | None = None
    # number -> (HTTP status, "serviceException" | "policyException", messageId, text)
    number_errors: dict[str, tuple[int, str, str, str]] = field(default_factory=dict)


@dataclass
class Sent:
    address: str
    sender_address: str
    sender_name: str | None
    message: str
    token: str
    client_correlator: str | None = None


class FakeOrange(LoopbackServer):
    thread_name = "fake-orange"
    what = "fake Orange server"

    def __init__(self, sender: str = "22370000000") -> None:
        super().__init__()
        self.client_id = f"client-{secrets.token_hex(6)}"
        self.client_secret = secrets.token_hex(12)
        self.sender = sender
        self.token_lifetime = "3600"
        self.faults = Faults()
        self.sent: list[Sent] = []
        self.token_requests = 0
        self.refused_tokens = 0  # sends refused with 401 (expired or unknown token)
        self._tokens: set[str] = set()
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def recipients(self) -> list[str]:
        with self._lock:
            return [s.address.removeprefix("tel:") for s in self.sent]

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on (code 42), as when an hour has passed."""
        with self._lock:
            self._tokens.clear()

    # -- HTTP ---------------------------------------------------------------------------

    async def _answer(
        self, writer: asyncio.StreamWriter, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> bool:
        if method == "POST" and path == "/oauth/v3/token":
            await _write(writer, *self._token(headers, body))
            return False
        if method != "POST" or not path.startswith("/smsmessaging/v1/outbound/"):
            await _write(writer, 404, _gateway_error(404, 60, "Resource not found"))
            return False
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self._lock:
            valid = token in self._tokens
            if not valid:
                self.refused_tokens += 1
        if not valid:
            await _write(writer, 401, _gateway_error(401, 42, "Expired credentials"))
            return False
        action = self._count_down(
            self.faults,
            ("drops", "drop"),
            ("server_errors", "error"),
            ("throttled", "throttle"),
            ("slow", "slow"),
        )
        if action == "drop":
            writer.transport.abort()
            return True
        if action == "error":
            await _write(writer, 503, _gateway_error(503, 5, "Service unavailable"))
            return False
        if action == "throttle":
            await _write(
                writer,
                429,
                _gateway_error(429, 53, "Too many requests"),
                {"Retry-After": self.faults.retry_after},
            )
            return False
        status, payload, extra = self._send(path, body, token)
        if action == "slow":
            await asyncio.sleep(self.faults.slow_s)
        await _write(writer, status, payload, extra)
        return False

    def _token(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.token_requests += 1
            if self.faults.token_errors > 0:
                self.faults.token_errors -= 1
                return 503, _gateway_error(503, 5, "Service unavailable")
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = parse_qs(body.decode("utf-8"))
        if headers.get("authorization") != f"Basic {expected}":
            return 401, _gateway_error(401, 41, "Invalid credentials")
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {"error": "invalid_request", "error_description": "grant_type missing"}
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        return 200, {"token_type": "Bearer", "access_token": token, "expires_in": self.token_lifetime}

    def _send(self, path: str, body: bytes, token: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        sender = unquote(path.removeprefix("/smsmessaging/v1/outbound/").removesuffix("/requests"))
        try:
            request = json.loads(body)["outboundSMSMessageRequest"]
            address = request["address"]
            sender_address = request["senderAddress"]
            text = request["outboundSMSTextMessage"]["message"]
        except (ValueError, KeyError, TypeError):
            return 400, _service_error("serviceException", "SVC0002", "Invalid input value"), {}
        if sender != f"tel:+{self.sender}" or sender_address != sender:
            return 400, _service_error("serviceException", "SVC0002", "Invalid senderAddress"), {}
        number = address.removeprefix("tel:")
        if number in self.faults.number_errors:
            status, kind, message_id, detail = self.faults.number_errors[number]
            return status, _service_error(kind, message_id, detail), {}
        with self._lock:
            self.sent.append(
                Sent(
                    address,
                    sender_address,
                    request.get("senderName"),
                    text,
                    token,
                    request.get("clientCorrelator"),
                )
            )
            if self.faults.expire_tokens_after is not None:
                self.faults.expire_tokens_after -= 1
                if self.faults.expire_tokens_after <= 0:
                    self.faults.expire_tokens_after = None
                    self._tokens.clear()
            resource = f"{self.base_url}/smsmessaging/v1/outbound/{sender}/requests/req-{next(self._ids):08x}"
        answer = {"outboundSMSMessageRequest": {**request, "resourceURL": resource}}
        return 201, answer, {"Location": resource}


def _gateway_error(status: int, code: int, message: str) -> dict[str, Any]:
    """Orange's API gateway errors (developer.orange.com error handling guide)."""
    return {"code": code, "message": message, "description": f"{message} (fake Orange, HTTP {status})"}


def _service_error(kind: str, message_id: str, text: str) -> dict[str, Any]:
    return {"requestError": {kind: {"messageId": message_id, "text": text}}}


async def _write(
    writer: asyncio.StreamWriter, status: int, payload: dict[str, Any], extra: dict[str, str] | None = None
) -> None:
    headers = {"Content-Type": "application/json", **(extra or {})}
    await write_response(writer, status, REASONS.get(status, "Error"), headers, json.dumps(payload).encode())
