"""Console pages: Jinja2 templates rendered from the gateway's catalogs in the language this browser
chose (French unless it chose Bambara: gateway/web/language.py), with the headers every console
page carries (no caching, no framing, no referrer, nothing loaded from elsewhere)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway.i18n.catalogs import Translator
from gateway.web.docs import STATIC_PATH
from gateway.web.language import DEFAULT_LANGUAGE, choices, console_language
from gateway.wiring import Gateway

TEMPLATES = Path(__file__).parent / "templates"
# The console's default language; a request's own is `console_language(request)`.
LANGUAGE = DEFAULT_LANGUAGE
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


def translator(gateway: Gateway, language: str = LANGUAGE) -> Translator:
    """The catalogs' gettext for `language` (bm falls back to French message by message)."""
    return gateway.engine.catalogs.translator(language)


def render(
    request: Request,
    gateway: Gateway,
    template: str,
    context: Mapping[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    language = console_language(request)
    values = {
        "_": texts(translator(gateway, language)),
        "root": root_of(request),
        "static": root_of(request) + STATIC_PATH,
        "lang": language,
        "language_choices": choices(request, root_of(request)),
        **context,
    }
    body = _environment.get_template(template).render(values)
    headers = {**HEADERS, "Content-Language": language}
    return HTMLResponse(body, status_code=status_code, headers=headers)


def redirect(request: Request, path: str) -> RedirectResponse:
    # 303: the browser follows with a GET, so a reload never posts a form again.
    return RedirectResponse(root_of(request) + path, status_code=303, headers=HEADERS)
