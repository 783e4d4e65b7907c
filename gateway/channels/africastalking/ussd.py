"""AT USSD callbacks: POST /callbacks/africastalking/ussd and /ussd/events (form-encoded)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from starlette.routing import Route

from gateway.channels.africastalking.statuses import END_STATUSES
from gateway.channels.auth import require_callback_token
from gateway.db.errors import database_unavailable
from gateway.http.deps import GatewayDep
from gateway.ops.metrics import CALLBACKS, USSD_HOP_SECONDS, USSD_SESSIONS_ENDED
from gateway.security.phone import InvalidPhoneNumber, mask, to_e164
from gateway.security.text import strip_controls
from gateway.ussd.events import SessionEnded, record_session_end
from gateway.ussd.service import HopContext, UssdRequest
from gateway.wiring import Gateway

log = logging.getLogger(__name__)
router = APIRouter(prefix="/callbacks/africastalking", dependencies=[Depends(require_callback_token)])
# The hop itself, the one hot path: declared on a router of its own for the OpenAPI schema, and
# served by `hop_route`, a plain Starlette route the app puts first (gateway/app.py): FastAPI's
# request handling around an endpoint (dependencies, response model) was a sixth of a hop's CPU.
# The middleware (body limit, errors) is the app's, as for every route. The endpoint checks the
# token and finds the Gateway itself.
hop_router = APIRouter(prefix="/callbacks/africastalking")
PROVIDER = "africastalking"
MAX_FIELD = 2000


def _field(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return strip_controls(value[:MAX_FIELD]) if isinstance(value, str) else ""


def at_reply(text: str, end: bool) -> PlainTextResponse:
    return PlainTextResponse(("END " if end else "CON ") + text, status_code=200)


@hop_router.post("/ussd", response_class=PlainTextResponse)
async def ussd_hop(request: Request) -> PlainTextResponse:
    """One hop of a USSD session (`?token=` as every callback). Always 200 `CON …`/`END …`."""
    await require_callback_token(request)
    gateway: Gateway = request.app.state.gateway
    hop = HopContext()
    try:
        form = await _form(request)
    except Exception:  # a body that is not a form at all
        log.warning("ussd: unreadable form body")
        CALLBACKS.labels("ussd", "rejected").inc()
        return at_reply(gateway.apology(None), True)
    session_id = _field(form, "sessionId").strip()
    raw_phone = _field(form, "phoneNumber")
    if not session_id or not raw_phone:
        log.warning("ussd: missing sessionId or phoneNumber")
        CALLBACKS.labels("ussd", "rejected").inc()
        return at_reply(gateway.apology(None), True)
    try:
        phone = to_e164(raw_phone, gateway.settings.default_region)
    except InvalidPhoneNumber:
        log.warning("ussd: unusable phoneNumber %s", mask(raw_phone))
        CALLBACKS.labels("ussd", "rejected").inc()
        return at_reply(gateway.apology(None), True)
    ussd_request = UssdRequest(
        provider=PROVIDER,
        session_id=session_id[:128],
        phone=phone,
        text=_field(form, "text"),
        service_code=_field(form, "serviceCode"),
        network_code=_field(form, "networkCode"),
    )
    started = time.perf_counter()
    try:
        lean = await gateway.lean.hop(ussd_request, hop)
        if lean is not None:
            reply = lean
        else:
            gateway.lean.forget(ussd_request.session_id)
            async with gateway.sessionmaker() as db, db.begin():
                reply = await gateway.ussd.handle(db, ussd_request, hop)
    except Exception as exc:
        # Nothing of this hop is stored (the lean path writes in one statement, the full path's
        # transaction rolled back); the caller hears why.
        if database_unavailable(exc):
            log.error("ussd hop failed session=%s: database unavailable (%s)", session_id[-8:], exc)
        else:
            log.exception("ussd hop failed session=%s screen=%s", session_id[-8:], hop.screen)
        CALLBACKS.labels("ussd", "error").inc()
        return at_reply(gateway.apology(hop.language), True)
    USSD_HOP_SECONDS.observe(time.perf_counter() - started)
    CALLBACKS.labels("ussd", "end" if reply.end else "continue").inc()
    return at_reply(reply.text, reply.end)


hop_route = Route("/callbacks/africastalking/ussd", ussd_hop, methods=["POST"], name="ussd_hop")


async def _form(request: Request) -> Mapping[str, str]:
    """AT posts a plain urlencoded form: read it straight from the body (Starlette's general form
    parser costs several times more); anything else goes through that parser."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = await request.body()
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.post("/ussd/events")
async def ussd_event(request: Request, gateway: GatewayDep) -> PlainTextResponse:
    try:
        form = await request.form()
    except Exception:
        return PlainTextResponse("unreadable form body", status_code=400)
    session_id = _field(form, "sessionId").strip()
    status = _field(form, "status").strip()
    if not session_id:
        return PlainTextResponse("field 'sessionId' required", status_code=400)
    if status not in END_STATUSES:
        log.warning("ussd event with unknown status %r", status[:32])
        status = status[:16] or "Unknown"
    event = SessionEnded(
        provider=PROVIDER,
        session_id=session_id[:128],
        status=status,
        duration_ms=_int(_field(form, "durationInMillis")),
        cost=_field(form, "cost")[:32] or None,
        error_message=_field(form, "errorMessage") or None,
        service_code=_field(form, "serviceCode"),
        network_code=_field(form, "networkCode"),
    )
    async with gateway.sessionmaker() as db, db.begin():
        row = await record_session_end(db, gateway.pseudonyms, event)
    CALLBACKS.labels("ussd_event", "ok").inc()
    # Bounded labels: the provider's status among the known ones, and the screen a caller left
    # on only when they dropped off. A session we ended (a report sent, among others) is just
    # "ended": a per-screen count rising at report:done would say when reports were made.
    USSD_SESSIONS_ENDED.labels(
        status if status in END_STATUSES else "other",
        "ended" if row.ended_at is not None else (row.last_screen or "-"),
    ).inc()
    return PlainTextResponse("OK")


def _int(value: str) -> int | None:
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if 0 <= number < 2**31 else None
