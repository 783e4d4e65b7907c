"""The database a USSD load run writes into: migrated first, and refused unless it holds no report."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.areas.models import Area
from gateway.config import SettingsError, load_settings
from gateway.contacts.models import Contact
from gateway.db.migrate import upgrade
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway

BATCH = 1000


def prepare_database(database_url: str, secret_key: str) -> tuple[str, str]:
    """Normalise the URL as the gateway does, apply migrations, refuse a database holding reports.

    Returns the URL the gateway will use and "sqlite" or "postgresql"."""
    try:
        settings = load_settings(_env_file=None, database_url=database_url, secret_key=secret_key)
    except SettingsError as exc:
        raise SystemExit(f"--database-url: {exc}") from None
    url = settings.database_url
    try:
        upgrade(url)
        existing = asyncio.run(_count_reports(url))
    except (SQLAlchemyError, OSError) as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise SystemExit(f"cannot prepare the database {shown}: {exc}") from None
    if existing:
        raise SystemExit(
            f"the database already holds {existing} report(s); the benchmark writes hundreds of fake "
            "reports, so point it at an empty test database"
        )
    return url, "sqlite" if settings.is_sqlite else "postgresql"


async def _count_reports(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM reports"))).scalar_one())
    finally:
        await engine.dispose()


async def add_history(url: str, sessions: int, contacts: int) -> None:
    """Ended USSD sessions and contacts as a gateway that has served for a while holds them, then
    ANALYZE. Without a history, PostgreSQL plans each prepared statement of the hop path for
    near-empty tables (sequential scans are cheapest there) and keeps those plans for the whole run
    while the tables grow, since nothing analyses them within a run of seconds: the figures would
    measure a database no deployment has after its first day. Made-up values only (random hashes,
    no decryptable number)."""
    if not sessions and not contacts:
        return
    started = datetime(2026, 1, 1, tzinfo=UTC)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for first in range(0, contacts, BATCH):
                await connection.execute(
                    insert(Contact),
                    [
                        {
                            "phone_hash": secrets.token_hex(32),
                            "phone_encrypted": "history-" + secrets.token_hex(16),
                            "language": "fr",
                            "created_at": started,
                            "updated_at": started,
                        }
                        for _ in range(first, min(first + BATCH, contacts))
                    ],
                )
            for first in range(0, sessions, BATCH):
                await connection.execute(
                    insert(UssdSession),
                    [
                        {
                            "session_id": f"history-{n}-{secrets.token_hex(8)}",
                            "provider": "africastalking",
                            "service_code": "*384*1#",
                            "network_code": "61001",
                            "phone_hash": secrets.token_hex(32),
                            "state": {},
                            "last_text": "1*1",
                            "last_response": "END",
                            "hops": 8,
                            "last_screen": "report:done",
                            "in_report": False,
                            "outcome": "ended",
                            "started_at": started + timedelta(minutes=n),
                            "updated_at": started + timedelta(minutes=n),
                            "ended_at": started + timedelta(minutes=n),
                        }
                        for n in range(first, min(first + BATCH, sessions))
                    ],
                )
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def add_test_communes(gateway: Gateway, total: int) -> None:
    """Made-up communes ("Commune test 000" …) under the border provinces, until the database holds
    `total` communes: summaries and the console's counts spread over a realistic number of places."""
    async with gateway.sessionmaker() as db, db.begin():
        provinces = list((await db.execute(select(Area).where(Area.level == 2))).scalars())
        existing = len(list((await db.execute(select(Area.id).where(Area.level == 3))).scalars()))
        for n in range(total - existing):
            province = provinces[n % len(provinces)]
            db.add(
                Area(
                    country_code=province.country_code,
                    level=3,
                    kind="commune",
                    name=f"Commune test {n:03d}",
                    parent_id=province.id,
                    aliases=[],
                    active=True,
                )
            )
    gateway.directory.invalidate()
