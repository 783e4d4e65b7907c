"""Sending through Orange's SMS API: an OAuth2 client-credentials token, kept and renewed before it
expires, then one request per recipient, with `httpx` (one async client, no threads).

A send is not idempotent as far as we know: a POST that timed out, whose connection dropped after
it was written, or that got a 5xx may have been taken. Its answer is `uncertain`: the outbox
retries it through Orange only, after GATEWAY_ORANGE_UNCERTAIN_HOLD_S, with the same OneAPI
`clientCorrelator` (the outbox id). Whether Orange deduplicates on it is not confirmed.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from dataclasses import dataclass

import httpx

from gateway.channels.orange import wire
from gateway.outbox.provider import (
    CLAIM_LOST,
    ChannelCheck,
    Confirm,
    Outgoing,
    ProviderError,
    RecipientResult,
)

log = logging.getLogger(__name__)
# A token is renewed this long before Orange says it expires (it lasts an hour).
RENEW_BEFORE_S = 60.0


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # time.monotonic()


class TokenError(ProviderError):
    """No token: Orange refused our application keys (permanent until someone fixes them) or
    could not be reached."""


class OrangeSms:
    name = wire.CHANNEL
    # One request per recipient: that is Orange's API.
    max_recipients = 1

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        sender: str,
        *,
        sender_name: str | None = None,
        api_url: str = "https://api.orange.com",
        rate_per_s: float = 5.0,
        timeout_s: float = 10.0,
        uncertain_hold_s: float = 300.0,
    ) -> None:
        self.sender = sender.lstrip("+")
        self.sender_name = sender_name
        self.api_url = api_url.rstrip("/")
        self.rate_per_s = rate_per_s
        self.uncertain_hold_s = uncertain_hold_s
        self.timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
        credentials = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
        self._basic = f"Basic {credentials}"
        self._token: Token | None = None
        self._token_lock = asyncio.Lock()
        # Made on first use, in the event loop that sends (an AsyncClient belongs to one loop).
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- the token ---------------------------------------------------------------------------

    async def token(self, *, renew: bool = False, stale: str | None = None) -> str:
        """A valid token: the kept one, or a new one when it is about to expire, when `renew` is
        asked, or when the kept one is `stale` (Orange refused it). One fetch at a time."""
        async with self._token_lock:
            kept = self._token
            fresh = kept is not None and kept.expires_at - RENEW_BEFORE_S > time.monotonic()
            if kept is not None and fresh and not renew and kept.value != stale:
                return kept.value
            self._token = await self._fetch_token()
            return self._token.value

    async def _fetch_token(self) -> Token:
        try:
            response = await self._client().post(
                self.api_url + wire.TOKEN_PATH,
                data={"grant_type": "client_credentials"},
                headers={"Authorization": self._basic, "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise TokenError(f"Orange token endpoint unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            word = wire.error_word(response.status_code, response.content)
            # 401: our keys are wrong. Still transient for the messages: they wait for the fix.
            raise TokenError(f"Orange refused a token: {word}")
        try:
            payload = response.json()
            value = str(payload["access_token"])
            lifetime = float(payload.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise TokenError("Orange token answer without access_token") from None
        return Token(value, time.monotonic() + lifetime)

    # -- sending -----------------------------------------------------------------------------

    async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
        """Without the outbox: no claim to confirm, no correlator."""

        async def always(message: Outgoing, ref: str | None, pin: str | None) -> bool:
            return True

        messages = [Outgoing(0, number) for number in recipients]
        return await self._send_all(body, messages, always, correlate=False)

    async def send_messages(
        self, body: str, messages: list[Outgoing], confirm: Confirm
    ) -> list[RecipientResult]:
        return await self._send_all(body, messages, confirm, correlate=True)

    async def _send_all(
        self, body: str, messages: list[Outgoing], confirm: Confirm, *, correlate: bool
    ) -> list[RecipientResult]:
        results: list[RecipientResult] = []
        for position, message in enumerate(messages):
            correlator = wire.correlator(message.id) if correlate else None
            result = await self._send_one(body, message, confirm, correlator)
            results.append(result)
            if result.retry_after:
                # Too fast: the others wait with it rather than be refused one by one.
                results.extend(
                    RecipientResult(m.phone, "transient", result.status, retry_after=result.retry_after)
                    for m in messages[position + 1 :]
                )
                break
        return results

    async def _send_one(
        self, body: str, message: Outgoing, confirm: Confirm, correlator: str | None
    ) -> RecipientResult:
        recipient = message.phone
        token = await self.token()
        # The claim, checked and renewed right before the request; "api" marks that a request
        # was made, so a claim that lapses during it leaves the message uncertain.
        if not await confirm(message, None, "api"):
            return RecipientResult(recipient, "transient", CLAIM_LOST)
        response = await self._post(token, body, recipient, correlator)
        if response.status_code == 401:
            # Expired or revoked under us (code 42): one new token, one more try.
            token = await self.token(stale=token)
            response = await self._post(token, body, recipient, correlator)
        if response.status_code == 201:
            try:
                payload = response.json()
            except ValueError:
                payload = None
            return RecipientResult(
                recipient, "accepted", "Created", wire.message_id(payload, response.headers.get("Location"))
            )
        failure = wire.classify(response.status_code, response.content)
        wait = None
        if response.status_code == 429:
            default = 1.0 / self.rate_per_s if self.rate_per_s > 0 else 1.0
            wait = wire.retry_after(response.headers.get("Retry-After"), default)
        return RecipientResult(recipient, failure.outcome, failure.status, retry_after=wait, pin=failure.pin)

    async def _post(self, token: str, body: str, recipient: str, correlator: str | None) -> httpx.Response:
        try:
            return await self._client().post(
                self.api_url + wire.send_path(self.sender),
                json=wire.send_body(self.sender, recipient, body, self.sender_name, correlator),
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The request never left.
            raise ProviderError(f"Orange unreachable: {type(exc).__name__}") from None
        except httpx.TransportError as exc:  # written, then timed out or dropped: maybe taken
            raise ProviderError(f"Orange did not answer: {type(exc).__name__}", uncertain=True) from None

    # -- the check ---------------------------------------------------------------------------

    async def check(self) -> ChannelCheck:
        """A fresh token proves the application keys and the way to Orange."""
        try:
            await self.token(renew=True)
        except ProviderError as exc:
            return ChannelCheck(False, str(exc))
        assert self._token is not None
        left = max(0, round(self._token.expires_at - time.monotonic()))
        return ChannelCheck(True, f"token obtained (valid {left} s)")
