"""A faithful fake of Africa's Talking's SMS REST API, on loopback, for the real SDK to talk to.

What it copies from AT (reference/africastalking.md §3, §6): POST /version1/messaging with a
form body and an `apiKey` header; 401 `The supplied authentication is invalid` as text/plain for
a bad key; 201 with `Content-Type: application/json` exactly (the SDK returns text otherwise);
per-recipient status codes; 201 with empty Recipients for an unknown sender id.
Faults to switch on: 5xx answers, answers slower than the client's timeout, answers held until the
test releases them, dropped connections, and chosen status codes for chosen numbers.

Each test gets a server of its own with an API key of its own (tests/conftest.py): a request sent
by an earlier test (a slow answer, a dispatcher left running) can only reach that test's server,
which is gone, or be refused with a 401 by a new server that took its port. It is never recorded
where a later test counts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.loopback import HoldingLoopbackServer, write_response

STATUS_WORDS = {
    100: "Processed",
    101: "Success",
    102: "Success",
    401: "RiskHold",
    402: "InvalidSenderId",
    403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType",
    405: "InsufficientBalance",
    406: "UserInBlacklist",
    407: "CouldNotRoute",
    409: "DoNotDisturbRejection",
    500: "InternalServerError",
    501: "GatewayError",
    502: "RejectedByGateway",
}


@dataclass
class Faults:
    """What the next requests get. Counters count down, one per request they apply to."""

    server_errors: int = 0  # HTTP 500
    slow: int = 0  # answer after `slow_s` seconds
    slow_s: float = 15.0
    hold: int = 0  # recorded, then answered only once the test calls `release()`
    drops: int = 0  # close the connection without an answer
    number_codes: dict[str, int] = field(default_factory=dict)  # per-recipient statusCode
    latency_s: float = 0.0  # every answer waits this long, as a real provider's would


@dataclass
class Received:
    username: str
    to: list[str]
    message: str
    sender: str | None


class FakeAfricasTalking(HoldingLoopbackServer):
    """Requests held (`Faults.hold`) wait for `release()`; `holding` and `wait_holding()` count
    them (tests/fakes/loopback.py)."""

    thread_name = "fake-at"
    what = "fake Africa's Talking server"

    def __init__(self, api_key: str = "test-api-key", sender_ids: tuple[str, ...] = ("BORDERS",)) -> None:
        super().__init__()
        self.api_key = api_key
        self.sender_ids = sender_ids
        self.faults = Faults()
        self.received: list[Received] = []
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/version1"

    def messages_to(self, number: str) -> list[str]:
        with self._lock:
            return [r.message for r in self.received if number in r.to]

    def recipients(self) -> list[str]:
        """Every number of every request received, once per request that named it."""
        with self._lock:
            return [number for r in self.received for number in r.to]

    # -- HTTP ---------------------------------------------------------------------------

    async def _answer(
        self, writer: asyncio.StreamWriter, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> bool:
        if path == "/_stats":  # for benchmarks in another process; not part of AT's API
            await _write(writer, 200, "application/json", self._stats())
            return False
        # Before any fault: a request meant for another test's server (its key) neither uses up
        # this test's faults nor is recorded.
        if headers.get("apikey") != self.api_key:
            await _write(writer, 401, "text/plain", b"The supplied authentication is invalid")
            return False
        action = self._count_down(
            self.faults, ("drops", "drop"), ("server_errors", "error"), ("hold", "hold"), ("slow", "slow")
        )
        if action == "drop":
            writer.transport.abort()
            return True
        if action == "error":
            await _write(writer, 500, "text/plain", b"Internal Server Error")
            return False
        # Recorded on arrival, as AT sends the SMS whether or not its answer gets back.
        status, content_type, payload = self._respond(method, path, body)
        if action == "hold":
            await self._held()
        elif action == "slow":
            await asyncio.sleep(self.faults.slow_s)
        elif self.faults.latency_s:
            await asyncio.sleep(self.faults.latency_s)
        await _write(writer, status, content_type, payload)
        return False

    def _stats(self) -> bytes:
        with self._lock:
            stats = {"requests": len(self.received), "recipients": sum(len(r.to) for r in self.received)}
        return json.dumps(stats).encode()

    def _respond(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        if path.split("?")[0] != "/version1/messaging":
            return 404, "text/plain", b"Not Found"
        if method == "GET":
            return 200, "application/json", json.dumps({"SMSMessageData": {"Messages": []}}).encode()
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        sender = form.get("from")
        to = [n for n in form.get("to", "").split(",") if n]
        with self._lock:
            self.received.append(Received(form.get("username", ""), to, form.get("message", ""), sender))
        if sender is not None and sender not in self.sender_ids:
            data = {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}
            return 201, "application/json", json.dumps(data).encode()
        recipients = []
        for number in to:
            code = 403 if not number.startswith("+") else self.faults.number_codes.get(number, 101)
            ok = code in (100, 101, 102)
            recipients.append(
                {
                    "statusCode": code,
                    "number": number,
                    "status": STATUS_WORDS.get(code, "Failed"),
                    "cost": "XOF 25.0000" if ok else "0",
                    "messageId": f"ATXid_{next(self._ids):032x}" if ok else "None",
                }
            )
        sent = sum(1 for r in recipients if r["statusCode"] in (100, 101, 102))
        data = {
            "SMSMessageData": {
                "Message": f"Sent to {sent}/{len(to)} Total Cost: XOF {25 * sent}",
                "Recipients": recipients,
            }
        }
        return 201, "application/json", json.dumps(data).encode()


async def _write(writer: asyncio.StreamWriter, status: int, content_type: str, payload: bytes) -> None:
    reason = {200: "OK", 201: "Created", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}
    await write_response(writer, status, reason.get(status, "OK"), {"Content-Type": content_type}, payload)


def received_summary(server: FakeAfricasTalking) -> list[dict[str, Any]]:
    return [r.__dict__ for r in server.received]


def main() -> None:
    """Run the fake on its own (benchmarks): prints its base URL, stops when stdin closes.
    `--latency-ms N`: answer every request after N ms."""
    import argparse
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    server = FakeAfricasTalking().start()
    server.faults.latency_s = args.latency_ms / 1000
    sys.stdout.write(server.base_url + "\n")
    sys.stdout.flush()
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
