"""AT SMS callbacks: incoming messages, delivery reports, bulk opt-outs (form-encoded POSTs)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData

from gateway.channels.africastalking.statuses import DELIVERY_STATUSES, OPT_OUT_REASONS
from gateway.channels.auth import require_callback_token
from gateway.contacts.service import get_or_create_contact
from gateway.db.base import utcnow
from gateway.http.deps import GatewayDep
from gateway.ops.metrics import CALLBACKS
from gateway.outbox.delivery import DeliveryReport, record_delivery
from gateway.security.phone import InvalidPhoneNumber, to_e164
from gateway.security.text import strip_controls
from gateway.sms.service import IncomingSms

log = logging.getLogger(__name__)
router = APIRouter(prefix="/callbacks/africastalking", dependencies=[Depends(require_callback_token)])
PROVIDER = "africastalking"
# A concatenated SMS is at most 255 parts; 1,600 characters is more than any phone here sends.
MAX_TEXT = 1600
# AT retries a callback for a while; its clock may be a little ahead of ours.
PLAUSIBLE_PAST = timedelta(days=7)
PLAUSIBLE_FUTURE = timedelta(hours=1)


class CallbackError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(exc: CallbackError, kind: str) -> JSONResponse:
    CALLBACKS.labels(kind, "rejected").inc()
    return JSONResponse({"error": exc.message}, status_code=exc.status)


async def _form(request: Request) -> FormData:
    try:
        return await request.form()
    except Exception:
        raise CallbackError(400, "body is not a form") from None


def _optional(form: FormData, name: str, limit: int = 256) -> str:
    value = form.get(name)
    return strip_controls(value)[:limit] if isinstance(value, str) else ""


def _required(form: FormData, name: str, limit: int = 256) -> str:
    value = form.get(name)
    if isinstance(value, str):
        value = strip_controls(value)
    if not isinstance(value, str) or not value.strip():
        raise CallbackError(400, f"field '{name}' required")
    if len(value) > limit:
        raise CallbackError(413, f"field '{name}' too long (at most {limit} characters)")
    return value


def _phone(form: FormData, name: str, region: str) -> str:
    raw = _required(form, name, 32)
    try:
        return to_e164(raw, region)
    except InvalidPhoneNumber:
        raise CallbackError(400, f"field '{name}' is not a phone number") from None


def _date(value: object) -> datetime | None:
    """When AT received the message, if it says so plausibly; otherwise None (now is used).
    A date years away would overflow the database, dodge flood counting or outlive a purge."""
    # AT sends both 2018-03-19T08:34:18.445Z and 2018-03-19 08:34:18.
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        moment = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    now = utcnow()
    return moment if now - PLAUSIBLE_PAST <= moment <= now + PLAUSIBLE_FUTURE else None


@router.post("/sms")
async def incoming_sms(request: Request, gateway: GatewayDep) -> JSONResponse:
    try:
        form = await _form(request)
        external_id = _required(form, "id", 128)
        phone = _phone(form, "from", gateway.settings.default_region)
        if not _optional(form, "text", MAX_TEXT + 1).strip():
            # A phone can send an empty SMS; refusing it would only make AT send it again.
            CALLBACKS.labels("sms", "ignored").inc()
            return JSONResponse({"status": "ignored: empty message"})
        sms = IncomingSms(
            provider=PROVIDER,
            external_id=external_id,
            phone=phone,
            text=_required(form, "text", MAX_TEXT),
            to=_optional(form, "to", 32),
            received_at=_date(form.get("date")),
        )
    except CallbackError as exc:
        return _error(exc, "sms")
    async with gateway.sessionmaker() as db, db.begin():
        stored = await gateway.sms.receive(db, sms)
    CALLBACKS.labels("sms", "stored" if stored else "duplicate").inc()
    return JSONResponse({"status": "stored" if stored else "duplicate"})


@router.post("/delivery-reports")
async def delivery_report(request: Request, gateway: GatewayDep) -> JSONResponse:
    try:
        form = await _form(request)
        message_id = _required(form, "id", 128)
        status = _required(form, "status", 32)
    except CallbackError as exc:
        return _error(exc, "delivery_report")
    reason_text = _optional(form, "failureReason", 64).strip() or None
    report = DeliveryReport(
        provider_message_id=message_id,
        provider_status=status,
        status=DELIVERY_STATUSES.get(status),
        failure_reason=reason_text,
        opted_out=reason_text in OPT_OUT_REASONS,
    )
    async with gateway.sessionmaker() as db, db.begin():
        known = await record_delivery(db, report, gateway.vault)
    CALLBACKS.labels("delivery_report", "recorded" if known else "unknown_message").inc()
    return JSONResponse({"status": "recorded" if known else "unknown message"})


@router.post("/opt-out")
async def opt_out(request: Request, gateway: GatewayDep) -> JSONResponse:
    try:
        form = await _form(request)
        phone = _phone(form, "phoneNumber", gateway.settings.default_region)
    except CallbackError as exc:
        return _error(exc, "opt_out")
    async with gateway.sessionmaker() as db, db.begin():
        contact = await get_or_create_contact(db, gateway.vault, phone)
        contact.opted_out_at = contact.opted_out_at or utcnow()
    CALLBACKS.labels("opt_out", "ok").inc()
    return JSONResponse({"status": "opted out"})
