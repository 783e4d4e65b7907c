"""The webhook the app posts to: SMS the phone received, and the fate of the SMS it sent for us.

One URL for every event, `/callbacks/android_sms/events` (with `?token=` when a callback token is
set); the body's signature is checked before anything else is read. An SMS received goes to the
same handling as one from Africa's Talking (`gateway.sms`); sent/delivered/failed go to the
outbox's delivery reports.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from gateway.channels.android_sms.webhooks import (
    Ignored,
    ReceivedSms,
    StatusUpdate,
    WebhookError,
    parse,
    verify,
)
from gateway.channels.auth import require_callback_token
from gateway.db.base import utcnow
from gateway.http.deps import GatewayDep
from gateway.ops.metrics import CALLBACKS
from gateway.outbox.delivery import DeliveryReport, record_delivery
from gateway.security.phone import InvalidPhoneNumber, mask_in_text, to_e164
from gateway.sms.service import IncomingSms
from gateway.wiring import Gateway

log = logging.getLogger(__name__)
PROVIDER = "android_sms"
router = APIRouter(prefix="/callbacks/android_sms", dependencies=[Depends(require_callback_token)])
# The app keeps retrying for about two days; the phone's clock may be a little ahead of ours.
PLAUSIBLE_PAST = timedelta(days=7)
PLAUSIBLE_FUTURE = timedelta(hours=1)


def _answer(kind: str, outcome: str, status: str, code: int = 200) -> JSONResponse:
    CALLBACKS.labels(kind, outcome).inc()
    return JSONResponse({"status" if code < 400 else "error": status}, status_code=code)


@router.post("/events")
async def events(request: Request, gateway: GatewayDep) -> JSONResponse:
    settings = gateway.settings
    if not settings.android_signing_key:
        # Without a key anyone could forge a report: the endpoint does not exist.
        return _answer("android_sms", "disabled", "not configured (GATEWAY_ANDROID_SIGNING_KEY)", 404)
    body = await request.body()
    try:
        verify(
            settings.android_signing_key,
            body,
            request.headers.get("x-timestamp"),
            request.headers.get("x-signature"),
            time.time(),
            settings.android_webhook_max_age_s,
        )
        event = parse(body)
    except WebhookError as exc:
        outcome = "unsigned" if exc.status == 401 else "rejected"
        return _answer("android_sms", outcome, exc.message, exc.status)
    if isinstance(event, Ignored):
        return _answer("android_sms", "ignored", f"ignored: {event.why}")
    if isinstance(event, StatusUpdate):
        return await _status(gateway, event)
    return await _received(gateway, event)


async def _received(gateway: Gateway, event: ReceivedSms) -> JSONResponse:
    try:
        phone = to_e164(event.sender, gateway.settings.default_region)
    except InvalidPhoneNumber:
        # The SIM also gets its operator's notices and promotions from names and short codes
        # ("OrangeML", "7000"): nobody to report for, nobody to answer. Refused, the app would
        # only send it again for two days.
        return _answer("android_sms", "ignored", "ignored: sender is not a phone number")
    sms = IncomingSms(
        provider=PROVIDER,
        external_id=gateway.pseudonyms.inbound_id(event.dedupe_key),
        phone=phone,
        text=event.text,
        to=_own_number(event.recipient, gateway.settings.default_region),
        received_at=_date(event.received_at),
    )
    async with gateway.sessionmaker() as db, db.begin():
        stored = await gateway.sms.receive(db, sms)
    return _answer("android_sms", "stored" if stored else "duplicate", "stored" if stored else "duplicate")


async def _status(gateway: Gateway, event: StatusUpdate) -> JSONResponse:
    # A failure's reason may name the service centre's number: masked like any number in a log.
    reason = mask_in_text(event.reason)[:64] if event.reason else None
    report = DeliveryReport(
        provider_message_id=event.message_id,
        provider_status=event.event,
        status=event.status,
        failure_reason=reason or ("cancelled" if event.event == "sms:cancelled" else None),
    )
    async with gateway.sessionmaker() as db, db.begin():
        known = await record_delivery(db, report, gateway.vault)
    return _answer(
        "android_delivery",
        "recorded" if known else "unknown_message",
        "recorded" if known else "unknown message",
    )


def _own_number(recipient: str, region: str) -> str:
    """The SIM that got the SMS (ours, not the sender's), when the app knows it."""
    try:
        return to_e164(recipient, region) if recipient else ""
    except InvalidPhoneNumber:
        return ""


def _date(value: str) -> datetime | None:
    """When the phone received the SMS, if plausible; otherwise None (now is used). The app writes
    the phone's local time with its offset, e.g. 2024-06-22T15:46:11.000+07:00."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    now = utcnow()
    return moment if now - PLAUSIBLE_PAST <= moment <= now + PLAUSIBLE_FUTURE else None
