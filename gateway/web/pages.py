"""Console pages: Jinja2 templates rendered in French from the gateway's catalogs, with the headers
every console page carries (no caching, no framing, no referrer, nothing loaded from elsewhere)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway.i18n.catalogs import Translator
from gateway.web.docs import STATIC_PATH
from gateway.wiring import Gateway

TEMPLATES = Path(__file__).parent / "templates"
# The console is in French first; other languages come through the same catalogs later.
LANGUAGE = "fr"
# Only this app's own files; `form-action 'self'` keeps a forged page from posting our forms' data
# elsewhere; no frames (clickjacking on the sign-in form); invitation links never leave in a Referer.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def root_of(request: Request) -> str:
    # Behind a proxy that strips a prefix, every address a page names carries it back.
    return str(request.scope.get("root_path", "")).rstrip("/")


def texts(translator: Translator) -> Callable[..., str]:
    """`_(msgid, **values)` for templates and handlers: the translation with its placeholders filled
    (escaped by the template like any other value)."""

    def translate(msgid: str, **values: object) -> str:
        text = translator.gettext(msgid)
        return text.format(**values) if values else text

    return translate


def translator(gateway: Gateway) -> Translator:
    return gateway.engine.catalogs.translator(LANGUAGE)


def render(
    request: Request,
    gateway: Gateway,
    template: str,
    context: Mapping[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    values = {
        "_": texts(translator(gateway)),
        "root": root_of(request),
        "static": root_of(request) + STATIC_PATH,
        "lang": LANGUAGE,
        **context,
    }
    body = _environment.get_template(template).render(values)
    return HTMLResponse(body, status_code=status_code, headers=HEADERS)


def redirect(request: Request, path: str) -> RedirectResponse:
    # 303: the browser follows with a GET, so a reload never posts a form again.
    return RedirectResponse(root_of(request) + path, status_code=303, headers=HEADERS)
