"""Who a console request comes from, and what every console page and form checks.

Later console pages build their router with `console_router()` (every POST on it is refused
without its CSRF token) and declare who may see them with `SignedIn`, `OrganiserOnly`, `Writer` or
`require_role(...)`; a committee member's reach is `Person.sees_committee` / `committee_scope`.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from gateway.accounts.passwords import Passwords
from gateway.accounts.people import Person
from gateway.accounts.secret_tokens import TokenKeys
from gateway.accounts.sessions import session_person
from gateway.accounts.signin import Lockout
from gateway.db.base import utcnow
from gateway.http.deps import GatewayDep
from gateway.web.pages import redirect, render
from gateway.wiring import Gateway

SESSION_COOKIE = "gw_session"
# A browser not signed in yet gets this random value, so the sign-in and invitation forms carry a
# CSRF token bound to it (a forged sign-in would otherwise sign a victim in as the attacker).
PRESESSION_COOKIE = "gw_presession"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def clock() -> datetime:
    """The console's idea of now; tests move it instead of sleeping."""
    return utcnow()


Now = Annotated[datetime, Depends(clock)]


class ConsoleState:
    """What the console keeps per app: the password hasher (its thread slots) and the token keys."""

    def __init__(self) -> None:
        self.passwords = Passwords()
        self._keys: TokenKeys | None = None

    def keys(self, gateway: Gateway) -> TokenKeys:
        if self._keys is None:
            self._keys = TokenKeys(gateway.settings.require_secret_key())
        return self._keys


def console_state(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


State = Annotated[ConsoleState, Depends(console_state)]


def idle(gateway: Gateway) -> timedelta:
    return timedelta(seconds=gateway.settings.console_session_idle_s)


def absolute(gateway: Gateway) -> timedelta:
    return timedelta(seconds=gateway.settings.console_session_absolute_s)


def lockout(gateway: Gateway) -> Lockout:
    return Lockout(
        gateway.settings.console_lockout_after, timedelta(seconds=gateway.settings.console_lockout_s)
    )


def secure_cookies(request: Request, gateway: Gateway) -> bool:
    # https as the browser sees it: the request's own scheme (a TLS proxy's X-Forwarded-Proto is
    # read by uvicorn from trusted addresses), or the configured console address.
    return request.url.scheme == "https" or gateway.settings.console_url.startswith("https://")


def set_session_cookie(response: Response, request: Request, gateway: Gateway, token: str) -> None:
    _set_cookie(response, request, gateway, SESSION_COOKIE, token)


def _set_cookie(response: Response, request: Request, gateway: Gateway, name: str, value: str) -> None:
    # Both console cookies alike: never read by scripts, not sent on other sites' POSTs, https-only
    # wherever the console is served over https.
    response.set_cookie(
        name,
        value,
        max_age=gateway.settings.console_session_absolute_s,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, gateway),
    )


def clear_cookie(response: Response, request: Request, gateway: Gateway, name: str) -> None:
    response.delete_cookie(
        name, path="/", httponly=True, samesite="lax", secure=secure_cookies(request, gateway)
    )


def presession_seed(request: Request) -> str | None:
    value = request.cookies.get(PRESESSION_COOKIE)
    return value if value and len(value) <= 100 else None


def set_presession_cookie(response: Response, request: Request, gateway: Gateway, seed: str) -> None:
    _set_cookie(response, request, gateway, PRESESSION_COOKIE, seed)


class CsrfRefused(Exception):
    """A form posted without the token of the page it came from."""


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page."""


class RoleRefused(Exception):
    """Signed in, but the role does not reach this page."""


async def check_csrf(request: Request, gateway: GatewayDep, state: State) -> None:
    """Every unsafe request on a console router carries, in a form field, the token bound to this
    browser's session (or pre-session) cookie; anything else is refused with 403."""
    if request.method not in UNSAFE:
        return
    try:
        form: FormData = await request.form()
    except Exception:  # not a form at all (or a broken one): no token either
        raise CsrfRefused() from None
    submitted = form.get(CSRF_FIELD)
    token = submitted if isinstance(submitted, str) else None
    keys = state.keys(gateway)
    seeds = (request.cookies.get(SESSION_COOKIE), presession_seed(request))
    if not any(keys.csrf_ok(seed, token) for seed in seeds if seed and len(seed) <= 100):
        raise CsrfRefused()


def console_router() -> APIRouter:
    return APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


async def current_person(request: Request, gateway: GatewayDep, now: Now) -> Person | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    async with gateway.sessionmaker() as db, db.begin():
        return await session_person(db, token, now, idle=idle(gateway), absolute=absolute(gateway))


MaybePerson = Annotated[Person | None, Depends(current_person)]


async def signed_in(person: MaybePerson) -> Person:
    if person is None:
        raise SignInRequired()
    return person


SignedIn = Annotated[Person, Depends(signed_in)]


def require_role(*roles: str) -> Callable[..., Awaitable[Person]]:
    """A dependency that lets only these roles through (a 403 page otherwise)."""

    async def check(person: SignedIn) -> Person:
        if person.role not in roles:
            raise RoleRefused()
        return person

    return check


OrganiserOnly = Annotated[Person, Depends(require_role("organiser"))]
# Who may change things: organisers, and committee members within their committee's reach.
# Viewers read only.
Writer = Annotated[Person, Depends(require_role("organiser", "committee"))]


def committee_scope(person: Person) -> int | None:
    """The one committee whose areas bound what this person sees, or None for everything."""
    return person.committee_id if person.role == "committee" else None


def page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    template: str,
    context: Mapping[str, Any],
    status_code: int = 200,
    person: Person | None = None,
) -> HTMLResponse:
    """A console page whose forms carry the CSRF token: bound to the session cookie when signed in,
    else to the pre-session cookie (given to the browser now if it had none)."""
    session = request.cookies.get(SESSION_COOKIE) if person is not None else None
    fresh = None
    seed = session or presession_seed(request)
    if seed is None:
        seed = fresh = secrets.token_urlsafe(32)
    values = {
        **context,
        "person": person,
        "csrf_field": CSRF_FIELD,
        "csrf_token": state.keys(gateway).csrf_token(seed),
    }
    response = render(request, gateway, template, values, status_code)
    if fresh is not None:
        set_presession_cookie(response, request, gateway, fresh)
    return response


def message_page(
    request: Request,
    gateway: Gateway,
    state: ConsoleState,
    person: Person,
    section: str,
    text_id: str,
    status_code: int,
) -> HTMLResponse:
    """A short message under a section's title ("reports", "committees"...), with a link back to
    that section's list: a report or committee that is not there, a refused export."""
    context = {"title_id": f"console.{section}.title", "text_id": text_id, "back": f"/{section}"}
    return page(request, gateway, state, "message.html", context, status_code, person=person)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _exc: CsrfRefused) -> Response:
        gateway: Gateway = request.app.state.gateway
        return render(
            request,
            gateway,
            "message.html",
            {"title_id": "console.csrf.title", "text_id": "console.csrf.text", "back": request.url.path},
            403,
        )

    @app.exception_handler(RoleRefused)
    async def _role(request: Request, _exc: RoleRefused) -> Response:
        gateway: Gateway = request.app.state.gateway
        return render(
            request,
            gateway,
            "message.html",
            {"title_id": "console.forbidden.title", "text_id": "console.forbidden.text", "back": "/overview"},
            403,
        )

    @app.exception_handler(SignInRequired)
    async def _signin(request: Request, _exc: SignInRequired) -> Response:
        gateway: Gateway = request.app.state.gateway
        response = redirect(request, "/signin")
        if request.cookies.get(SESSION_COOKIE):
            clear_cookie(response, request, gateway, SESSION_COOKIE)
        return response
