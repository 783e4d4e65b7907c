"""What the lean-path tests share: counting the full path's hops, switching the lean path off,
reading a session's row, the store's connection class."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway


class FullPath:
    """Counts the hops the full path answers."""

    def __init__(self, gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.entered = asyncio.Event()
        handle = gateway.ussd.handle

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.entered.set()
            return await handle(*args, **kwargs)

        monkeypatch.setattr(gateway.ussd, "handle", counted)


async def session_row(gateway: Gateway, session_id: str) -> UssdSession:
    async with gateway.sessionmaker() as db:
        return (
            await db.execute(select(UssdSession).where(UssdSession.session_id == session_id))
        ).scalar_one()


class LeanOff:
    """Every hop the full path's, as before the lean path existed."""

    def __init__(self, gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
        async def never(*_args: Any) -> None:
            return None

        monkeypatch.setattr(gateway.lean, "hop", never)


async def warm(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db:
        await gateway.lean.directory.get(db)  # a cold area tree is the full path's to load


def hop_class(gateway: Gateway) -> type[Any]:
    """The driver-level class of the store's connections (SQLite's or PostgreSQL's), to patch."""
    from gateway.ussd import store

    return store._SqliteHop if gateway.settings.is_sqlite else store._PostgresHop
