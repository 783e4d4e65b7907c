"""Sending SMS with the official `africastalking` SDK (synchronous, so run on a thread).

The SDK hard-codes its hosts; the base URL is set on the service instance after it is built
(reference/africastalking.md §4), from GATEWAY_AT_API_URL.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import requests
from africastalking.Service import AfricasTalkingException
from africastalking.SMS import SMSService

from gateway.channels.africastalking.statuses import (
    ACCEPTED_CODES,
    OPT_OUT_CODE,
    PERMANENT_CODES,
    TRANSIENT_CODES,
    send_outcome,
)
from gateway.outbox.provider import ProviderError, RecipientResult

log = logging.getLogger(__name__)


class AfricasTalkingSms:
    name = "africastalking"
    # AT publishes no maximum; 100 per request keeps one failure from touching too many messages.
    max_recipients = 100

    def __init__(
        self,
        username: str,
        api_key: str,
        api_url: str,
        sender_id: str | None = None,
        timeout: tuple[float, float] = (3.05, 9.05),
    ) -> None:
        self.sender_id = sender_id
        self.timeout = timeout
        self.service = SMSService(username, api_key)
        base = api_url.rstrip("/")
        self.service._baseUrl = base
        self.service._contentUrl = base

    async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
        try:
            response = await asyncio.to_thread(
                self.service.send, body, recipients, self.sender_id, False, None, self.timeout
            )
        except AfricasTalkingException as exc:  # a non-2xx answer; 401 is a bad key or username
            raise ProviderError(f"Africa's Talking refused the request: {str(exc)[:200]}") from None
        except requests.RequestException as exc:  # connection refused or dropped, timeout
            raise ProviderError(f"Africa's Talking unreachable: {type(exc).__name__}") from None
        except ValueError as exc:  # the SDK's own number check; our numbers are E.164 already
            raise ProviderError(str(exc), transient=False) from None
        return parse_send_response(response, recipients)


def parse_send_response(response: Any, recipients: list[str]) -> list[RecipientResult]:
    if not isinstance(response, dict):
        # The SDK gives back text when the content type is not exactly application/json.
        raise ProviderError(f"unexpected answer from Africa's Talking: {str(response)[:120]!r}")
    data = response.get("SMSMessageData") or {}
    entries = data.get("Recipients") or []
    if not entries:
        # A 201 with no recipients is a request-level failure, e.g. InvalidSenderId.
        raise ProviderError(f"Africa's Talking sent nothing: {str(data.get('Message'))[:120]}")
    results: list[RecipientResult] = []
    for entry in entries:
        try:
            code = int(entry.get("statusCode"))
        except (TypeError, ValueError):
            code = 0
        status = str(
            entry.get("status")
            or ACCEPTED_CODES.get(code)
            or PERMANENT_CODES.get(code)
            or TRANSIENT_CODES.get(code)
            or code
        )
        message_id = entry.get("messageId")
        results.append(
            RecipientResult(
                phone=str(entry.get("number", "")),
                outcome=send_outcome(code),
                status=status[:64],
                message_id=str(message_id) if message_id and message_id != "None" else None,
                cost=str(entry.get("cost"))[:32] if entry.get("cost") is not None else None,
                opted_out=code == OPT_OUT_CODE,
            )
        )
    missing = set(recipients) - {r.phone for r in results}
    if missing:
        log.warning("Africa's Talking answered for %d of %d recipients", len(results), len(recipients))
    return results
