"""Test fixtures: one migrated database per run (SQLite, or PostgreSQL when
GATEWAY_TEST_DATABASE_URL is set), emptied between tests; the ASGI app driven over httpx."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

os.environ["GATEWAY_SECRET_KEY"] = "test-secret-key-not-for-production-0123456789"

from gateway.app import create_app
from gateway.areas.models import Area
from gateway.channels.africastalking.sms_client import AfricasTalkingSms
from gateway.committees.models import Committee
from gateway.committees.service import NewMember, add_member, create_committee
from gateway.config import Settings, get_settings, load_settings
from gateway.db.migrate import upgrade
from gateway.outbox.dispatcher import Dispatcher
from gateway.reports.models import Report
from gateway.reports.service import NewReport, create_report
from gateway.wiring import Gateway
from tests.fakes.at_server import FakeAfricasTalking
from tests.helpers import (
    MakeAtProvider,
    MakeCommittee,
    MakeReport,
    StartDispatcher,
    UssdCaller,
    empty_tables,
)
from tests.security.keyring import Keyring, keyring

TEST_PG = os.environ.get("GATEWAY_TEST_DATABASE_URL")

# No deadline anywhere: it times each example on the wall clock, so on a loaded machine it measures
# the machine (one example descheduled for 200 ms fails the test as "flaky"), not the code.
hypothesis_settings.register_profile("gateway", deadline=None)
# In CI the property tests run the same examples every time: a failure there is reproducible, and a
# green run does not depend on luck. Locally they keep exploring.
hypothesis_settings.register_profile(
    "ci", parent=hypothesis_settings.get_profile("gateway"), derandomize=True, print_blob=True
)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "gateway")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_PG:
        url = load_settings(database_url=TEST_PG).database_url
        _reset_postgres(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    return url


def _reset_postgres(url: str) -> None:
    import asyncio

    async def reset() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return load_settings(_env_file=None, database_url=database_url, callback_token=None)


@pytest.fixture(scope="session")
async def gateway(settings: Settings) -> AsyncIterator[Gateway]:
    built = Gateway.build(settings)
    yield built
    await built.close()


@pytest.fixture(autouse=True)
async def _empty_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    # Settings read from the environment once per process: a test that changed the environment
    # must not hand its settings to the next one.
    get_settings.cache_clear()
    if "gateway" not in request.fixturenames:
        return
    gateway: Gateway = request.getfixturevalue("gateway")
    async with gateway.sessionmaker() as db, db.begin():
        await empty_tables(db)
    # The gateway lives for the whole run and keeps the areas for a minute: without this, what a
    # test sees of them would depend on which test loaded them last, and how long ago.
    gateway.directory.invalidate()


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(gateway.settings, gateway)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as c:
        yield c


@pytest.fixture
def caller(client: httpx.AsyncClient) -> UssdCaller:
    return UssdCaller(client, phone="+22370000001")


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def fake_at() -> Iterator[FakeAfricasTalking]:
    """A fake Africa's Talking server of this test's own: its own port, its own API key.

    A shared one recorded requests that an earlier test's slow answers or leftover dispatchers
    sent after that test had ended, and a later test counted them as its own (issue 11). This one
    stops with its test; a request still addressed to it afterwards is refused, and a new server
    that happens to get the same port answers it 401 (another key) without recording it."""
    server = FakeAfricasTalking(api_key=f"test-api-key-{secrets.token_hex(8)}").start()
    yield server
    server.stop()


@pytest.fixture
def at(fake_at: FakeAfricasTalking) -> FakeAfricasTalking:
    """The fake Africa's Talking server, with no faults and nothing received yet."""
    return fake_at


# A healthy answer may take a while on a loaded machine; a test that wants the client to give up
# (an answer held or slow) asks for a shorter read timeout with `make_at_provider`.
AT_TIMEOUT = (5.0, 10.0)


@pytest.fixture
def make_at_provider(at: FakeAfricasTalking) -> MakeAtProvider:
    """The real SDK pointed at this test's fake, its key, sender id or timeout replaced if asked."""

    def make(
        *,
        api_key: str | None = None,
        sender_id: str | None = None,
        timeout: tuple[float, float] = AT_TIMEOUT,
    ) -> AfricasTalkingSms:
        return AfricasTalkingSms("sandbox", api_key or at.api_key, at.base_url, sender_id, timeout=timeout)

    return make


@pytest.fixture
def at_provider(make_at_provider: MakeAtProvider) -> AfricasTalkingSms:
    return make_at_provider()


@pytest.fixture
def make_dispatcher(gateway: Gateway, at_provider: AfricasTalkingSms) -> Callable[..., Dispatcher]:
    def make(provider: object = None, **overrides: object) -> Dispatcher:
        settings = gateway.settings.model_copy(update={"sms_rate_per_s": 0, **overrides})
        return Dispatcher(gateway.sessionmaker, provider or at_provider, gateway.vault, settings)  # type: ignore[arg-type]

    return make


@pytest.fixture
async def start_dispatcher() -> AsyncIterator[StartDispatcher]:
    """`dispatcher.run(stop)` in a task, as (stop, task). Whatever becomes of the test, the task is
    stopped and awaited after it: the tests share one event loop, and a dispatcher left running
    would go on claiming and sending the messages of the tests after."""
    started: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    def start(dispatcher: Dispatcher) -> tuple[asyncio.Event, asyncio.Task[None]]:
        stop = asyncio.Event()
        started.append((stop, asyncio.create_task(dispatcher.run(stop))))
        return started[-1]

    yield start
    for stop, _task in started:
        stop.set()
    running = [task for _stop, task in started if not task.done()]  # a finished one was awaited
    if running:
        await asyncio.wait_for(asyncio.gather(*running), 30)


@pytest.fixture
async def make_committee(gateway: Gateway) -> MakeCommittee:
    async def make(
        name: str, areas: list[str], members: list[NewMember], schedule: str = "weekly mon 08:00"
    ) -> Committee:
        async with gateway.sessionmaker() as db, db.begin():
            committee = await create_committee(db, name, areas, schedule, "Africa/Bamako")
            for member in members:
                await add_member(db, gateway.vault, committee, member, "ML")
        return committee

    return make


@pytest.fixture
async def make_report(gateway: Gateway) -> MakeReport:
    async def make(
        commune: str,
        *,
        topic: str = "security_incident",
        urgency: str = "serious",
        anonymous: bool = False,
        contact_id: int | None = None,
        at: datetime | None = None,
        text: str = "Des hommes armés au marché",
        language: str = "fr",
    ) -> Report:
        async with gateway.sessionmaker() as db, db.begin():
            area = (await db.execute(select(Area).where(Area.name == commune, Area.level == 3))).scalar_one()
            report = await create_report(
                db,
                NewReport(
                    "sms",
                    language,
                    topic,
                    area.id,
                    urgency,
                    text,
                    anonymous,
                    None if anonymous else contact_id,
                ),
            )
            if at is not None:
                report.created_at = report.placed_at = at
        return report

    return make


@pytest.fixture(scope="module")
async def keys(gateway: Gateway) -> AsyncIterator[Keyring]:
    """Gateways under key A, under key B with A as previous key, and under key B alone; one set per
    test module (tests/security, tests/rotation, tests/cli/test_keys.py)."""
    async with keyring(gateway.settings) as ring:
        yield ring
