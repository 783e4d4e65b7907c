"""The console's language: French unless this browser chose another with the links in the page
header, kept in the cookie `gw_lang` (a choice per browser: no account field, no database change).

Every page rendered by `pages.render` (and so by `auth.page`) reads it from the request: a new page
is in the chosen language without doing anything. Texts come from the same gettext catalogs as the
SMS and USSD ones, with the same fallback (dyu -> bm -> fr, bm -> fr, message by message) and the
same loader, which shows unreviewed (fuzzy) entries.

Only the languages in CONSOLE_LANGUAGES can be chosen. Jula (dyu) is offered since its catalog
drafts every text a committee member's pages show (tests/web/test_console_committee_words.py);
Mooré (mos) is not: its catalog translates no console text, so choosing it would give French pages
labelled as Mooré (`<html lang>`, screen readers, spell checkers). Add a code here once its catalog
translates the console (tests/web/test_console_language.py checks that every offered language does).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.routing import Match

from gateway.i18n.languages import LANGUAGES, SOURCE_LANGUAGE

LANGUAGE_COOKIE = "gw_lang"
CONSOLE_LANGUAGES: tuple[str, ...] = ("fr", "bm", "dyu")
DEFAULT_LANGUAGE = SOURCE_LANGUAGE
# A choice outlives sessions: a shared office computer keeps the language of whoever chose it last.
LANGUAGE_COOKIE_MAX_AGE_S = 365 * 24 * 3600
# The page to come back to after choosing: longer than any address of the console is an attack.
MAX_BACK = 2000
CHOOSE_PATH = "/language"


@dataclass(frozen=True)
class Choice:
    code: str
    name: str  # in its own language (Français, Bamanankan, Julakan), as in every catalog's language.*
    href: str


def console_language(request: Request) -> str:
    """The language this request's pages are in: the cookie's, if it names a console language."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in CONSOLE_LANGUAGES else DEFAULT_LANGUAGE


def local_path(text: str | None) -> str | None:
    """`text` if it is an address on this console ('/reports?topic=other'), else None.

    Only a path from the console's root is accepted: no scheme, no host, no '//' or backslash
    (which browsers read as another host), no control characters. So the choice's "back" never
    sends anyone to another site."""
    if not text or len(text) > MAX_BACK or not text.startswith("/"):
        return None
    if text.startswith("//") or "\\" in text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return None
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        return None
    return text


def _route_path(request: Request) -> str:
    # The path as the app's routes see it: without the prefix a proxy strips (root_path).
    path = str(request.scope.get("path", "/"))
    root = str(request.scope.get("root_path", "")).rstrip("/")
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    return path or "/"


def _gettable(request: Request, path: str) -> bool:
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "path_params": {}}
    for route in request.app.router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return True
    return False


def back_path(request: Request) -> str:
    """Where the language links bring the browser back: this page as it was asked for; for the
    answer to a form (a POST), the nearest page above it that can be opened
    ('/reports/R-7K3F/status' -> '/reports/R-7K3F')."""
    path = _route_path(request)
    if request.method in ("GET", "HEAD"):
        query = request.url.query
        back = local_path(path + ("?" + query if query else ""))
        return back or "/"
    while path not in ("", "/"):
        if local_path(path) and _gettable(request, path):
            return path
        path = path.rsplit("/", 1)[0]
    return "/"


def choices(request: Request, root: str) -> list[Choice]:
    """The header's links, one per console language, each bringing the browser back here."""
    back = back_path(request)
    return [
        Choice(code, LANGUAGES[code].native_name, f"{root}{CHOOSE_PATH}/{code}?{urlencode({'back': back})}")
        for code in CONSOLE_LANGUAGES
    ]
