"""Test fixtures: one migrated database per run (SQLite, or PostgreSQL when
GATEWAY_TEST_DATABASE_URL is set), emptied between tests; the ASGI app driven over httpx."""

from __future__ import annotations

import os
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
from gateway.config import Settings, load_settings
from gateway.db.migrate import upgrade
from gateway.outbox.dispatcher import Dispatcher
from gateway.reports.models import Report
from gateway.reports.service import NewReport, create_report
from gateway.wiring import Gateway
from tests.fakes.at_server import FakeAfricasTalking, Faults
from tests.helpers import MakeCommittee, MakeReport, UssdCaller, empty_tables

TEST_PG = os.environ.get("GATEWAY_TEST_DATABASE_URL")

# In CI the property tests run the same examples every time: a failure there is reproducible, and a
# green run does not depend on luck. Locally they keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


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
    if "gateway" not in request.fixturenames:
        return
    gateway: Gateway = request.getfixturevalue("gateway")
    async with gateway.sessionmaker() as db, db.begin():
        await empty_tables(db)


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


@pytest.fixture(scope="session")
def fake_at() -> Iterator[FakeAfricasTalking]:
    server = FakeAfricasTalking().start()
    yield server
    server.stop()


@pytest.fixture
def at(fake_at: FakeAfricasTalking) -> FakeAfricasTalking:
    """The fake Africa's Talking server, with no faults and nothing received yet."""
    fake_at.faults = Faults()
    fake_at.received.clear()
    return fake_at


@pytest.fixture
def at_provider(at: FakeAfricasTalking) -> AfricasTalkingSms:
    return AfricasTalkingSms("sandbox", at.api_key, at.base_url, None, timeout=(1.0, 1.5))


@pytest.fixture
def make_dispatcher(gateway: Gateway, at_provider: AfricasTalkingSms) -> Callable[..., Dispatcher]:
    def make(provider: object = None, **overrides: object) -> Dispatcher:
        settings = gateway.settings.model_copy(update={"sms_rate_per_s": 0, **overrides})
        return Dispatcher(gateway.sessionmaker, provider or at_provider, gateway.vault, settings)  # type: ignore[arg-type]

    return make


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
                report.created_at = at
        return report

    return make
