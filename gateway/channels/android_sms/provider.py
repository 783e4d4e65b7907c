"""Sending through phones running SMS Gateway for Android, at a phone's pace.

Each message is one request (`POST {url}/messages`, Basic auth) to one phone, with an id we choose:
the app refuses a second message with the same id (409), which makes a repeated request harmless.

- Pace: each phone gets at most one message every GATEWAY_ANDROID_SEND_INTERVAL_S; slots are
  reserved before the wait, so requests in flight at once on one phone queue behind each other.
- Choice: the phones whose prefixes match the number (the longest prefix first), then the phones
  without prefixes; among equals, the one free soonest.
- Health: a phone that refuses connections, times out or answers 5xx/401/404 is out of rotation for
  GATEWAY_ANDROID_DOWN_S, then probed on `GET /health` before it gets messages again. Its message
  comes back to the outbox as a transient failure and is queued again.
- The hard case: a request that timed out (or got a 5xx, or whose connection dropped after it was
  written) may have reached the phone, which would send it. Its answer is `uncertain`, with the id
  and the phone's name (`pin`): the outbox keeps both in the database (before the request, too),
  waits GATEWAY_ANDROID_UNCERTAIN_HOLD_S, and retries only through that phone with that id (409:
  it has it, so it counts as sent); never through another phone or channel. What stays open is
  written in docs/channels.md.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.config import AndroidPhone
from gateway.outbox.provider import CLAIM_LOST, ChannelCheck, Confirm, Outgoing, RecipientResult
from gateway.security.phone import mask_in_text

log = logging.getLogger(__name__)
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
# The app's webhooks this gateway needs: received SMS, and the fate of what it sent.
NEEDED_EVENTS = ("sms:received", "sms:sent", "sms:delivered", "sms:failed")


class Pacer:
    """One phone's slots: one message every `interval` seconds. `reserve` has no await, so the
    requests of one event loop get successive slots whatever order they wake up in."""

    def __init__(self, interval: float, clock: Clock) -> None:
        self.interval = interval
        self.clock = clock
        self.next_at = 0.0

    def reserve(self) -> float:
        """When the next message may go (clock time); the slot after it is taken from now on."""
        start = max(self.clock(), self.next_at)
        self.next_at = start + self.interval
        return start


@dataclass
class Phone:
    config: AndroidPhone
    client: httpx.AsyncClient
    pacer: Pacer
    down_until: float = 0.0
    down_reason: str = ""

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def cloud(self) -> bool:
        # The cloud and private servers' API lives under /3rdparty/v1; the phone's own at its root.
        return "/3rdparty/" in self.config.url + "/"


def new_message_id() -> str:
    # The app takes ids up to 36 characters.
    return "gw" + secrets.token_hex(16)


class AndroidSmsProvider:
    name = "android_sms"
    # One number per request: the app's answer and its webhooks carry one id per request, and the
    # outbox finds a delivery report's message by that id.
    max_recipients = 1
    # The phone keeps every SMS it sends (its sent box, the app's log): the outbox sends no
    # message to an anonymous reporter through it unless GATEWAY_ANDROID_ANONYMOUS_RECEIPTS is set.
    keeps_copies = True

    def __init__(
        self,
        phones: tuple[AndroidPhone, ...],
        *,
        interval_s: float = 30.0,
        timeout_s: float = 15.0,
        down_s: float = 120.0,
        uncertain_hold_s: float = 900.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not phones:
            raise ValueError("at least one phone is needed")
        self.clock = clock
        self.sleep = sleep
        self.down_s = down_s
        self.uncertain_hold_s = uncertain_hold_s
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
        self.phones = {
            p.name: Phone(
                p,
                httpx.AsyncClient(base_url=p.url, auth=(p.username, p.password), timeout=timeout),
                Pacer(interval_s, clock),
            )
            for p in phones
        }
        # The dispatcher's own limiter (shared between workers by the backbone) at the pace of
        # all the phones together.
        self.rate_per_s = len(phones) / interval_s if interval_s > 0 else 0.0

    async def aclose(self) -> None:
        for phone in self.phones.values():
            await phone.client.aclose()

    # -- sending ------------------------------------------------------------------------

    async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
        """Without the outbox (no claim to confirm, nothing earlier to repeat)."""

        async def always(message: Outgoing, ref: str | None, pin: str | None) -> bool:
            return True

        messages = [Outgoing(position, number) for position, number in enumerate(recipients)]
        return await self.send_messages(body, messages, always)

    async def send_messages(
        self, body: str, messages: list[Outgoing], confirm: Confirm
    ) -> list[RecipientResult]:
        return [await self._send_one(body, message, confirm) for message in messages]

    async def _send_one(self, body: str, message: Outgoing, confirm: Confirm) -> RecipientResult:
        number = message.phone
        if message.pin is not None and message.ref is not None:
            # An earlier request may be on that phone: only that phone, only that id.
            phone = self.phones.get(message.pin)
            if phone is None:
                log.warning(
                    "android_sms message %s: phone %s, which may have it, is no longer configured; "
                    "not sent through another",
                    message.ref,
                    message.pin,
                )
                return RecipientResult(number, "permanent", "UncertainPhoneGone", message.ref)
            if not await self._usable(phone):
                return RecipientResult(
                    number, "uncertain", f"waiting for phone {phone.name}", message.ref, pin=phone.name
                )
            return await self._post(phone, body, message, message.ref, confirm)
        chosen, why = await self._choose(number)
        if chosen is None:
            return RecipientResult(number, "permanent" if why == "NoPhoneForNumber" else "transient", why)
        return await self._post(chosen, body, message, new_message_id(), confirm)

    async def _choose(self, number: str) -> tuple[Phone | None, str]:
        serving = [p for p in self.phones.values() if p.config.serves(number)]
        if not serving:
            return None, "NoPhoneForNumber"

        def match(phone: Phone) -> int:
            return max((len(x) for x in phone.config.prefixes if number.startswith(x)), default=0)

        for length in sorted({match(p) for p in serving}, reverse=True):
            tier = [p for p in serving if match(p) == length]
            usable = [p for p in tier if await self._usable(p)]
            if usable:
                return min(usable, key=lambda p: p.pacer.next_at), ""
        return None, "AllPhonesDown"

    async def _post(
        self, phone: Phone, body: str, message: Outgoing, message_id: str, confirm: Confirm
    ) -> RecipientResult:
        number = message.phone
        start = phone.pacer.reserve()
        if (wait := start - self.clock()) > 0:
            await self.sleep(wait)
        # The claim, checked and renewed after the wait; the id and the phone stored before the
        # request, so that a status webhook and another worker both find them.
        if not await confirm(message, message_id, phone.name):
            return RecipientResult(number, "transient", CLAIM_LOST)
        request: dict[str, Any] = {
            "id": message_id,
            "textMessage": {"text": body},
            "phoneNumbers": [number],
            "withDeliveryReport": True,
        }
        if phone.config.sim:
            request["simNumber"] = phone.config.sim
        try:
            response = await phone.client.post("/messages", json=request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The request never left: nothing for the phone to send.
            self._down(phone, type(exc).__name__)
            return RecipientResult(number, "transient", f"phone {phone.name} unreachable")
        except httpx.TransportError as exc:
            # Sent, and no answer: the phone may have the message.
            self._down(phone, type(exc).__name__)
            return RecipientResult(
                number, "uncertain", f"phone {phone.name} did not answer", message_id, pin=phone.name
            )
        return self._answer(phone, number, message_id, response)

    def _answer(
        self, phone: Phone, number: str, message_id: str, response: httpx.Response
    ) -> RecipientResult:
        code = response.status_code
        if code in (200, 201, 202):
            return self._accepted(phone, number, message_id, response)
        if code == 409:  # "Message with the same ID already exists": it has it from before
            log.info("android_sms message %s: phone %s had it already", message_id, phone.name)
            return RecipientResult(number, "accepted", "Pending", message_id)
        said = _error_text(response)
        if code == 400:  # the app's validation (a number it will not take): it never will
            return RecipientResult(number, "permanent", f"Rejected: {said}"[:64])
        self._down(phone, f"HTTP {code}")
        if code >= 500:
            # The app stores the message before it answers; an error after that is a 500 too.
            return RecipientResult(
                number, "uncertain", f"phone {phone.name}: HTTP {code}", message_id, pin=phone.name
            )
        return RecipientResult(number, "transient", f"phone {phone.name}: HTTP {code}")

    def _accepted(
        self, phone: Phone, number: str, message_id: str, response: httpx.Response
    ) -> RecipientResult:
        try:
            data = response.json()
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        given = data.get("id")
        sent_id = given if isinstance(given, str) and given else message_id
        states = [r for r in data.get("recipients") or [] if isinstance(r, dict)]
        failed = next((r for r in states if r.get("state") == "Failed"), None)
        if failed is not None:
            error = mask_in_text(str(failed.get("error") or "Failed"))
            return RecipientResult(number, "permanent", error[:64], sent_id)
        state = str(data.get("state") or "Pending")[:64]
        log.debug("android_sms message %s accepted by phone %s", sent_id, phone.name)
        return RecipientResult(number, "accepted", state, sent_id)

    # -- health -------------------------------------------------------------------------

    def _down(self, phone: Phone, reason: str) -> None:
        if phone.down_until <= self.clock():
            log.warning(
                "android_sms phone %s out of rotation for %.0f s: %s", phone.name, self.down_s, reason
            )
        phone.down_until = self.clock() + self.down_s
        phone.down_reason = reason

    async def _usable(self, phone: Phone) -> bool:
        """In rotation; or out, its time served, and answering its health endpoint again."""
        if phone.down_until == 0.0:
            return True
        if self.clock() < phone.down_until:
            return False
        if await self._probe(phone):
            log.info("android_sms phone %s back in rotation", phone.name)
            phone.down_until, phone.down_reason = 0.0, ""
            return True
        phone.down_until = self.clock() + self.down_s
        return False

    async def _probe(self, phone: Phone) -> bool:
        try:
            response = await phone.client.get("/devices" if phone.cloud else "/health")
        except httpx.HTTPError:
            return False
        # The phone's /health answers 500 when a check fails (no Internet, a low battery) while it
        # can still send; an answer at all, as JSON, is what tells it is alive.
        if phone.cloud:
            return response.status_code == 200
        return _json_object(response) is not None

    async def check(self) -> ChannelCheck:
        """Per phone: does it answer, take our credentials, and post the webhooks we need?"""
        lines = await asyncio.gather(*(self._check_phone(p) for p in self.phones.values()))
        up = sum(1 for ok, _ in lines if ok)
        detail = f"{up} of {len(lines)} phone(s) ready; " + "; ".join(line for _, line in lines)
        return ChannelCheck(up > 0, detail[:200])

    async def _check_phone(self, phone: Phone) -> tuple[bool, str]:
        health = ""
        if not phone.cloud:
            try:
                answer = await phone.client.get("/health")
            except httpx.HTTPError as exc:
                return False, f"{phone.name}: unreachable ({type(exc).__name__})"
            data = _json_object(answer)
            if data is None:
                return False, f"{phone.name}: /health is not the app's (HTTP {answer.status_code})"
            health = f"health {data.get('status', '?')}, "
        try:
            listed = await phone.client.get("/webhooks")
        except httpx.HTTPError as exc:
            return False, f"{phone.name}: unreachable ({type(exc).__name__})"
        if listed.status_code in (401, 403):
            return False, f"{phone.name}: credentials refused"
        hooks = listed.json() if listed.status_code == 200 and _json_list(listed) else []
        events = {h.get("event") for h in hooks if isinstance(h, dict)}
        missing = [e for e in NEEDED_EVENTS if e not in events]
        hooks_said = "all webhooks registered" if not missing else "webhooks missing: " + ", ".join(missing)
        return True, f"{phone.name}: ok, {health}{hooks_said}"


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _json_list(response: httpx.Response) -> bool:
    try:
        return isinstance(response.json(), list)
    except ValueError:
        return False


def _error_text(response: httpx.Response) -> str:
    data = _json_object(response)
    said = data.get("message") if data else None
    return mask_in_text(
        str(said if isinstance(said, str) else response.reason_phrase or response.status_code)
    )
