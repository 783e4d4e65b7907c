"""AT USSD callbacks: POST /callbacks/africastalking/ussd and /ussd/events (form-encoded)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.channels.africastalking.statuses import END_STATUSES
from gateway.channels.auth import callback_token_ok, require_callback_token
from gateway.db.errors import database_unavailable
from gateway.http.deps import GatewayDep
from gateway.http.forms import parse_form
from gateway.ops.metrics import CALLBACKS, USSD_FULL_PATH_HOPS, USSD_HOP_SECONDS, USSD_SESSIONS_ENDED
from gateway.security.phone import InvalidPhoneNumber, mask, to_e164
from gateway.security.text import strip_controls
from gateway.ussd.events import SessionEnded, record_session_end
from gateway.ussd.service import HopContext, UssdRequest
from gateway.wiring import Gateway

# Bound once: looking a labelled child up takes a lock and a dict on every hop.
HOPS_ENDED = CALLBACKS.labels("ussd", "end")
HOPS_CONTINUED = CALLBACKS.labels("ussd", "continue")

log = logging.getLogger(__name__)
router = APIRouter(prefix="/callbacks/africastalking", dependencies=[Depends(require_callback_token)])
# The hop itself, the one hot path, is declared on a router of its own for the OpenAPI schema (and
# served there for a body that is not a plain urlencoded form), but answered by `HopRoute`, a pure
# ASGI layer the app puts just inside its body limit (gateway/app.py): FastAPI's and Starlette's
# handling around an endpoint (exception layers, routing, Request and Response objects) cost more
# than the hop's own work. Both ends call `answer`, so the hop has one set of rules.
hop_router = APIRouter(prefix="/callbacks/africastalking")
HOP_PATH = "/callbacks/africastalking/ussd"
PROVIDER = "africastalking"
MAX_FIELD = 2000
FORM_TYPE = b"application/x-www-form-urlencoded"


def _field(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return strip_controls(value[:MAX_FIELD]) if isinstance(value, str) else ""


def at_reply(text: str, end: bool) -> PlainTextResponse:
    return PlainTextResponse(_at_text(text, end), status_code=200)


def _at_text(text: str, end: bool) -> str:
    return ("END " if end else "CON ") + text


@hop_router.post("/ussd", response_class=PlainTextResponse)
async def ussd_hop(request: Request) -> PlainTextResponse:
    """One hop of a USSD session (`?token=` as every callback). Always 200 `CON …`/`END …`."""
    await require_callback_token(request)
    form: Mapping[str, str] | None = None
    try:
        async with request.form() as parsed:  # closes any uploaded file it spooled
            form = {k: v for k, v in parsed.items() if isinstance(v, str)}
    except Exception:  # a body that is not a form at all
        form = None
    return at_reply(*await answer(request.app.state.gateway, form))


class HopRoute:
    """Pure ASGI: a POST to the hop's path with an urlencoded body (what Africa's Talking sends)
    is answered here; anything else goes on to the app's routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != HOP_PATH
            or scope["method"] != "POST"
            or not _is_form(scope)
        ):
            await self.app(scope, receive, send)
            return
        gateway: Gateway = scope["app"].state.gateway
        if not callback_token_ok(scope["query_string"], gateway.settings.callback_token):
            await _respond(send, 403, b'{"detail":"invalid or missing callback token"}', b"application/json")
            return
        body = await _body(receive)
        if body is None:
            return  # the caller's network hung up: no one to answer
        form = parse_form(body.decode("utf-8", "replace"))
        text = _at_text(*await answer(gateway, form))
        await _respond(send, 200, text.encode("utf-8"), b"text/plain; charset=utf-8")


def _is_form(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.startswith(FORM_TYPE)
    return False


async def _body(receive: Receive) -> bytes | None:
    """The whole body (the app's body limit, outside, has bounded it), or None on a disconnect."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def answer(gateway: Gateway, form: Mapping[str, str] | None) -> tuple[str, bool]:
    """The hop's answer (text, end) to a parsed form, None for a body that was no form."""
    hop = HopContext()
    if form is None:
        log.warning("ussd: unreadable form body")
        CALLBACKS.labels("ussd", "rejected").inc()
        return gateway.apology(None), True
    session_id = _field(form, "sessionId").strip()
    raw_phone = _field(form, "phoneNumber")
    if not session_id or not raw_phone:
        log.warning("ussd: missing sessionId or phoneNumber")
        CALLBACKS.labels("ussd", "rejected").inc()
        return gateway.apology(None), True
    try:
        phone = to_e164(raw_phone, gateway.settings.default_region)
    except InvalidPhoneNumber:
        log.warning("ussd: unusable phoneNumber %s", mask(raw_phone))
        CALLBACKS.labels("ussd", "rejected").inc()
        return gateway.apology(None), True
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
            USSD_FULL_PATH_HOPS.inc()
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
        return gateway.apology(hop.language), True
    USSD_HOP_SECONDS.observe(time.perf_counter() - started)
    (HOPS_ENDED if reply.end else HOPS_CONTINUED).inc()
    return reply.text, reply.end


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
