"""What every command shares: settings that fail in one clear line, a database to work on."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import typer

from gateway.config import Settings, SettingsError, load_settings, weak_previous_keys
from gateway.db.engine import SessionMaker
from gateway.logging import configure_logging

T = TypeVar("T")


def settings_or_exit(*, secret: bool = True) -> Settings:
    """Settings, or one line saying what is wrong; `secret` when the command handles phone numbers."""
    try:
        settings = load_settings()
        if secret:
            settings.require_secret_key()
    except SettingsError as exc:
        err(str(exc))
        raise typer.Exit(2) from None
    for warning in weak_previous_keys(settings) if secret else []:
        err(f"warning: {warning}")
    configure_logging(settings)
    return settings


def err(message: str) -> None:
    print(message, file=sys.stderr)


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    async def _main() -> T:
        return await coro_factory()

    return asyncio.run(_main())


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[SessionMaker]:
    """Sessions on the configured database for one command; the engine is closed afterwards."""
    from gateway.db.engine import create_engine, create_sessionmaker

    engine = create_engine(settings)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


def ensure_schema(settings: Settings) -> None:
    """The embedded database is brought up to date by the commands that use it."""
    # Before the import: alembic logs at INFO as it loads, not only as it migrates.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from gateway.db.migrate import upgrade

    upgrade(settings.database_url)
