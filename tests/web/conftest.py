"""Fixtures for the browser tests: a `gateway serve` of the test's own, and a headless chromium."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from gateway.wiring import Gateway
from tests.accounts.helpers import Console, People
from tests.ops.processes import gateway_env, start_listening, stop
from tests.web.browser import (
    SCREENSHOTS_ENV,
    Traffic,
    browser_required,
    find_chromium,
    missing_browser_reason,
)

# Seconds, as milliseconds for Playwright. A page that has not shown in this long is broken; a
# shorter wait would fail tests on a machine that is only busy.
WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)
# A laptop's window; a test that wants a phone's makes a context of its own.
VIEWPORT = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Served:
    """A running `gateway serve`: its address, and the environment it was started with."""

    process: subprocess.Popen[bytes]
    base: str
    env: dict[str, str]

    def url(self, path: str) -> str:
        return self.base + path


ServeGateway = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve_gateway(gateway: Gateway, tmp_path: Path) -> AsyncIterator[ServeGateway]:
    """Starts `gateway serve` on a free loopback port against the test database, with
    GATEWAY_<NAME>=value for each keyword (no outbox sending unless dispatch_in_process is given).
    Every server started is stopped when the test ends, before its tables are emptied: the next
    test's server finds none of this one's rows and no process of this one's still running."""
    started: list[subprocess.Popen[bytes]] = []

    async def serve(**settings: str) -> Served:
        index = len(started)
        env = gateway_env(
            gateway,
            **{"dispatch_in_process": "false", "metrics_dir": str(tmp_path / f"metrics-{index}"), **settings},
        )
        process, port = await asyncio.to_thread(
            start_listening,
            lambda port: ["serve", "--port", str(port)],
            env,
            "/readyz",
            tmp_path / f"serve-{index}.log",
        )
        started.append(process)
        return Served(process, f"http://127.0.0.1:{port}", env)

    yield serve
    await asyncio.to_thread(stop, started)


@pytest.fixture
async def live_gateway(serve_gateway: ServeGateway) -> Served:
    return await serve_gateway()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One chromium for the run; each test gets a context of its own (cookies, storage, cache)."""
    executable = find_chromium()
    if executable is None:
        reason = missing_browser_reason()
        if browser_required():
            pytest.fail(f"{reason}, and GATEWAY_TEST_BROWSER=required", pytrace=False)
        pytest.skip(reason)
    async with async_playwright() as playwright:
        # /dev/shm is small in containers; chromium's renderers crash when it fills.
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--disable-dev-shm-usage"]
        )
        yield launched
        await launched.close()


@pytest.fixture
async def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
async def context(browser: Browser, traffic: Traffic) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(
        viewport=VIEWPORT, locale="fr-FR", timezone_id="Africa/Bamako", service_workers="block"
    )
    context.set_default_timeout(WAIT_MS)
    await traffic.attach(context)
    yield context
    await context.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture
def screenshots_dir(tmp_path: Path) -> Path:
    configured = os.environ.get(SCREENSHOTS_ENV)
    return Path(configured) if configured else tmp_path / "screenshots"


@pytest.fixture
async def people(gateway: Gateway) -> AsyncIterator[People]:
    """Signed-in consoles, one per person asked for (a module may define its own)."""
    async with AsyncExitStack() as stack:
        yield People(gateway, stack)


@pytest.fixture
async def organiser(people: People) -> Console:
    return await people.console("awa@example.org", "organiser")
