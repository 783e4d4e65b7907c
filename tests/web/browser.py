"""A real headless browser for the tests: Debian's chromium, driven by Playwright's own driver.

Playwright's browser download is never used (there is no internet to fetch it from): the browser
is the system's, `/usr/bin/chromium` from Debian's `chromium` package, or GATEWAY_TEST_CHROMIUM.
Without one the browser tests skip, saying why; with GATEWAY_TEST_BROWSER=required (.ci/run sets
it) they fail instead, so CI can never pass by running none of them.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, ConsoleMessage, Page, Route, WebError

from tests.accounts.helpers import PASSWORD

CHROMIUM_ENV = "GATEWAY_TEST_CHROMIUM"
REQUIRED_ENV = "GATEWAY_TEST_BROWSER"
# Where `screenshot` writes when set (`make screenshots` points it at docs/console); otherwise a
# temporary directory of the test's, so a plain test run leaves the working tree as it was.
SCREENSHOTS_ENV = "GATEWAY_TEST_SCREENSHOTS"
INSTALL_HINT = "apt-get install chromium"
LOOPBACK = "127.0.0.1"
# Addresses that never reach a network: inline data and the browser's own pages.
_LOCAL_SCHEMES = {"data", "blob", "about"}


def browser_required() -> bool:
    return os.environ.get(REQUIRED_ENV, "") == "required"


def find_chromium() -> Path | None:
    """The browser to drive: GATEWAY_TEST_CHROMIUM if set (it must exist), else Debian's."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(found) if found else None


def missing_browser_reason() -> str:
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return f"no browser at {CHROMIUM_ENV}={configured}"
    return f"no chromium on this machine ({INSTALL_HINT}; .ci/run installs it)"


def leaves_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in _LOCAL_SCHEMES and parts.hostname != LOOPBACK


@dataclass
class Traffic:
    """What a browser context asked for and complained about. Requests for anywhere but 127.0.0.1
    are recorded and then refused, so a page that reaches for a CDN fails its test at once instead
    of waiting on a name that will not resolve."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    async def attach(self, context: BrowserContext) -> None:
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("console", self._console)
        context.on("weberror", self._web_error)
        await context.route(leaves_loopback, _refuse)

    def off_loopback(self) -> list[str]:
        return [url for url in self.requests if leaves_loopback(url)]

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _web_error(self, error: WebError) -> None:
        self.page_errors.append(str(error.error))


async def _refuse(route: Route) -> None:
    await route.abort("internetdisconnected")


async def screenshot(page: Page, directory: Path, name: str) -> Path:
    """A PNG of the whole page as `directory/name.png` (made if need be); its path."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ValueError(f"screenshot name {name!r}: lowercase letters, digits and dashes")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    # No caret or running animation: the same page gives the same picture from one run to the next.
    await page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    return path


async def sign_in(page: Page, signin_url: str, login: str = "awa@example.org") -> None:
    """Signs in through the sign-in form, as a person does (the accounts' test password)."""
    await page.goto(signin_url)
    await page.get_by_label("Identifiant ou adresse e-mail").fill(login)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
