"""Console entry: `/`, sign-in, sign-out, accepting an invitation."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from fastapi.responses import Response

from gateway.accounts.invitations import accept, open_invitation
from gateway.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from gateway.accounts.people import MAX_LOGIN, AccountError, audit_label, masked_login, normal_login
from gateway.accounts.sessions import close_session, forget_expired, open_session
from gateway.accounts.signin import sign_in
from gateway.audit.service import record, record_by
from gateway.http.deps import GatewayDep
from gateway.web.auth import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    MaybePerson,
    Now,
    State,
    absolute,
    clear_cookie,
    console_router,
    idle,
    lockout,
    page,
    set_session_cookie,
)
from gateway.web.pages import redirect

router = console_router()
# Values a message's placeholders may name; format() ignores the ones a message does not use.
LIMITS = {"min": MIN_LENGTH, "max": MAX_LENGTH, "max_login": MAX_LOGIN}


async def _field(request: Request, name: str, limit: int) -> str:
    value = (await request.form()).get(name)
    # A field far longer than any real one is cut, not parsed further: it is wrong anyway.
    return value[: limit + 1] if isinstance(value, str) else ""


@router.get("/")
async def home(request: Request, person: MaybePerson) -> Response:
    return redirect(request, "/overview" if person else "/signin")


@router.get("/signin")
async def signin_page(request: Request, gateway: GatewayDep, state: State, person: MaybePerson) -> Response:
    if person is not None:
        return redirect(request, "/overview")
    notice = "console.signout.done" if request.query_params.get("out") == "1" else None
    return page(request, gateway, state, "signin.html", {"notice": notice, "login": ""})


@router.post("/signin")
async def signin(request: Request, gateway: GatewayDep, state: State, now: Now) -> Response:
    login = await _field(request, "login", MAX_LOGIN)
    password = await _field(request, "password", MAX_LENGTH)
    previous = request.cookies.get(SESSION_COOKIE)
    async with gateway.sessionmaker() as db, db.begin():
        attempt = await sign_in(db, state.passwords, login, password, now, lockout(gateway))
        user = attempt.user
        record(
            db,
            actor=audit_label(user.name, user.id) if user else masked_login(normal_login(login)),
            role=user.role if user else "-",
            action="console.signin",
            detail=attempt.outcome,
        )
        token = None
        if attempt.ok and user is not None:
            token = await open_session(db, user, now, replaces=previous)
            await forget_expired(db, user.id, now, idle=idle(gateway), absolute=absolute(gateway))
    if token is None:
        rules = lockout(gateway)
        failed = {
            "error": "console.signin.failed",
            "error_values": {"n": rules.after, "minutes": max(1, rules.period // timedelta(minutes=1))},
            # Given back so a typo is fixed, not retyped; never the password.
            "login": login[:MAX_LOGIN],
        }
        return page(request, gateway, state, "signin.html", failed, 200)
    response = redirect(request, "/overview")
    set_session_cookie(response, request, gateway, token)
    clear_cookie(response, request, gateway, PRESESSION_COOKIE)
    return response


@router.post("/signout")
async def signout(request: Request, gateway: GatewayDep, person: MaybePerson) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    async with gateway.sessionmaker() as db, db.begin():
        if token:
            await close_session(db, token)
        if person is not None:
            record_by(db, person, "console.signout")
    response = redirect(request, "/signin?out=1")
    clear_cookie(response, request, gateway, SESSION_COOKIE)
    return response


@router.get("/invitation/{token}")
async def invitation_page(
    request: Request, token: str, gateway: GatewayDep, state: State, now: Now
) -> Response:
    async with gateway.sessionmaker() as db:
        invitation = await open_invitation(db, state.keys(gateway), token, now)
    if invitation is None:
        return page(request, gateway, state, "message.html", _unusable(), 410)
    shown = {"name": invitation.name, "role": invitation.role}
    return page(request, gateway, state, "invitation.html", {"invitation": shown, "login": "", **LIMITS})


@router.post("/invitation/{token}")
async def invitation_accept(
    request: Request, token: str, gateway: GatewayDep, state: State, now: Now
) -> Response:
    login = await _field(request, "login", MAX_LOGIN)
    password = await _field(request, "password", MAX_LENGTH)
    confirm = await _field(request, "confirm", MAX_LENGTH)
    previous = request.cookies.get(SESSION_COOKIE)
    invitation: dict[str, str] | None = None
    try:
        async with gateway.sessionmaker() as db, db.begin():
            found = await open_invitation(db, state.keys(gateway), token, now)
            if found is None:
                return page(request, gateway, state, "message.html", _unusable(), 410)
            # Read now: a refusal below rolls back, which expires what the session loaded.
            invitation = {"name": found.name, "role": found.role}
            if password != confirm:
                raise AccountError("console.invitation.mismatch")
            user = await accept(db, state.passwords, found, login=login, password=password, now=now)
            record(db, actor=audit_label(user.name, user.id), role=user.role, action="console.invitation")
            session = await open_session(db, user, now, replaces=previous)
            user.last_signin_at = now
    except AccountError as refused:
        if refused.message_id == "console.invitation.unusable" or invitation is None:
            return page(request, gateway, state, "message.html", _unusable(), 410)
        context = {
            "invitation": invitation,
            "login": login[:MAX_LOGIN],
            "error": refused.message_id,
            "error_values": LIMITS,
            **LIMITS,
        }
        return page(request, gateway, state, "invitation.html", context, 200)
    response = redirect(request, "/overview")
    set_session_cookie(response, request, gateway, session)
    clear_cookie(response, request, gateway, PRESESSION_COOKIE)
    return response


def _unusable() -> dict[str, object]:
    return {
        "title_id": "console.invitation.title",
        "text_id": "console.invitation.unusable",
        "back": "/signin",
    }
