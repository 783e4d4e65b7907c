"""0017 (a broadcast's readers' languages) goes down and up again on SQLite and PostgreSQL, and a
broadcast written before it reads as going to every language."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.db.migrate import alembic_config, upgrade


def _run(url: str, *statements: str) -> list[Any]:
    """The rows of the last statement, each statement in one transaction on its own engine (the
    test's gateway, if any, is not used: its pool must not see the table change under it)."""

    async def go() -> list[Any]:
        engine = create_async_engine(url)
        try:
            rows: list[Any] = []
            async with engine.begin() as connection:
                for statement in statements:
                    result = await connection.execute(text(statement))
                    rows = list(result) if result.returns_rows else []
            return rows
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _columns(url: str) -> set[str]:
    async def go() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                found = await connection.run_sync(lambda c: inspect(c).get_columns("broadcasts"))
            return {column["name"] for column in found}
        finally:
            await engine.dispose()

    return asyncio.run(go())


@pytest.fixture
def scratch_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: going down a migration in the one the other tests share would
    change tables under their pooled connections (and the plans PostgreSQL keeps for them)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    shared = make_url(database_url)
    name = f"{shared.database}_scratch_{secrets.token_hex(4)}"
    _admin(database_url, f'CREATE DATABASE "{name}"')
    try:
        yield shared.set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(url: str, statement: str) -> None:
    async def go() -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_0017_up_and_down(scratch_url: str) -> None:
    upgrade(scratch_url, "0016")
    assert "languages" not in _columns(scratch_url)
    # A draft as 0016 wrote them (only the columns without a default of their own).
    _run(
        scratch_url,
        "INSERT INTO broadcasts (id, kind, texts, french_fallback, asks_rsvp, status, cursor, "
        "created_by, created_at) VALUES (917, 'announcement', '{}', false, false, 'draft', 0, "
        "'', CURRENT_TIMESTAMP)",
    )
    upgrade(scratch_url)
    [(languages,)] = _run(scratch_url, "SELECT languages FROM broadcasts WHERE id = 917")
    # JSON comes back parsed on PostgreSQL, as its text on SQLite.
    assert languages in ([], "[]")
    command.downgrade(alembic_config(scratch_url), "0016")
    assert "languages" not in _columns(scratch_url)
