"""Orange's delivery receipts ("Real time SMS DR"): a JSON POST to the URL given to Orange.

    {"deliveryInfoNotification": {"deliveryInfo": {"address": "tel:+223…",
     "deliveryStatus": "DeliveredToTerminal"}, "callbackData": "…"}}

Orange signs nothing: the URL carries `?token=` (GATEWAY_CALLBACK_TOKEN), as Africa's Talking's do.
The receipt names the number, not the message: it goes to the message Orange has for that
number and has not settled yet (outbox/delivery.py), or to the message `callbackData` names.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from gateway.channels.auth import require_callback_token
from gateway.channels.orange.wire import CHANNEL, DELIVERY_STATUSES
from gateway.http.deps import GatewayDep
from gateway.ops.metrics import CALLBACKS
from gateway.outbox.delivery import DeliveryReport, record_delivery, record_delivery_to_number
from gateway.security.phone import InvalidPhoneNumber, to_e164
from gateway.security.text import strip_controls

router = APIRouter(prefix="/callbacks/orange", dependencies=[Depends(require_callback_token)])


def _refuse(message: str) -> JSONResponse:
    CALLBACKS.labels("delivery_report", "rejected").inc()
    return JSONResponse({"error": message}, status_code=400)


def _text(value: Any, limit: int) -> str:
    return strip_controls(value)[:limit].strip() if isinstance(value, str) else ""


@router.post("/delivery-reports")
async def delivery_report(request: Request, gateway: GatewayDep) -> JSONResponse:
    try:
        payload = json.loads(await request.body())
    except (UnicodeDecodeError, ValueError):
        return _refuse("body is not JSON")
    notification = payload.get("deliveryInfoNotification") if isinstance(payload, dict) else None
    info = notification.get("deliveryInfo") if isinstance(notification, dict) else None
    if isinstance(info, list):  # OneAPI allows a list; Orange sends one, as far as we know
        info = info[0] if info else None
    if not isinstance(info, dict):
        return _refuse("field 'deliveryInfoNotification.deliveryInfo' required")
    status = _text(info.get("deliveryStatus"), 32)
    if not status:
        return _refuse("field 'deliveryInfo.deliveryStatus' required")
    try:
        phone = to_e164(_text(info.get("address"), 40).removeprefix("tel:"), gateway.settings.default_region)
    except InvalidPhoneNumber:
        return _refuse("field 'deliveryInfo.address' is not a phone number")
    assert isinstance(notification, dict)
    callback_data = _text(notification.get("callbackData"), 128)
    mapped = DELIVERY_STATUSES.get(status)
    report = DeliveryReport(
        provider_message_id=callback_data,
        provider_status=status,
        status=mapped,
        failure_reason=status if mapped == "failed" else None,
    )
    async with gateway.sessionmaker() as db, db.begin():
        known = bool(callback_data) and await record_delivery(db, report, gateway.vault)
        if not known:
            hashes = gateway.vault.lookup_hashes(phone)
            known = await record_delivery_to_number(db, CHANNEL, hashes, report)
    CALLBACKS.labels("delivery_report", "recorded" if known else "unknown_message").inc()
    # 200 either way: a receipt for a message we no longer hold must not be sent again and again.
    return JSONResponse({"status": "recorded" if known else "unknown message"})
