"""`/language/{code}?back=/reports`: the header's language links. Sets the cookie `gw_lang` and
sends the browser back to the page it came from, which must be a path of this console.

A GET link, not a form: it works on every page, error pages included (they carry no CSRF token),
and needs no script. A page elsewhere can make a browser follow it, and so switch its console
between French, Bambara and Jula; that changes nothing else and is undone with one click, which is why
it carries no CSRF token."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from gateway.http.deps import GatewayDep
from gateway.web.auth import console_router, secure_cookies
from gateway.web.language import (
    CHOOSE_PATH,
    CONSOLE_LANGUAGES,
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_MAX_AGE_S,
    local_path,
)
from gateway.web.pages import redirect

router = console_router()


@router.get(CHOOSE_PATH + "/{code}")
async def choose_language(code: str, request: Request, gateway: GatewayDep) -> Response:
    back = local_path(request.query_params.get("back")) or "/"
    response = redirect(request, back)
    if code in CONSOLE_LANGUAGES:  # anything else is ignored: the page comes back as it was
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=LANGUAGE_COOKIE_MAX_AGE_S,
            path="/",
            httponly=True,  # no script of the console reads it
            samesite="lax",
            secure=secure_cookies(request, gateway),
        )
    return response
