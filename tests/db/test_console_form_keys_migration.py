"""0018 (console form keys) goes up and down again on SQLite and PostgreSQL; on its way up it keeps
every row, and after it one account's key makes one draft and one meeting, while API rows (no
account) and other accounts are free to use the same key."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.db.migrate import alembic_config, upgrade
from tests.db.test_broadcast_languages_migration import _run
from tests.db.test_broadcast_languages_migration import scratch_url as scratch_url

BROADCAST = (
    "INSERT INTO broadcasts (kind, texts, french_fallback, asks_rsvp, status, cursor, created_by, "
    "created_at, idempotency_key, user_id) VALUES ('announcement', '{{}}', false, false, 'draft', 0, "
    "'', CURRENT_TIMESTAMP, 'k-1', {user})"
)
MEETING = (
    "INSERT INTO meetings (title, place, starts_at, timezone, agenda, created_at, idempotency_key, "
    "user_id) VALUES ('{{}}', 'Mairie', CURRENT_TIMESTAMP, 'Africa/Bamako', '{{}}', CURRENT_TIMESTAMP, "
    "'k-1', {user})"
)


def _columns(url: str, table: str) -> set[str]:
    async def go() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                found = await connection.run_sync(lambda c: inspect(c).get_columns(table))
            return {column["name"] for column in found}
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_0018_up_and_down(scratch_url: str) -> None:
    upgrade(scratch_url, "0017")
    _run(
        scratch_url,
        "INSERT INTO meetings (id, title, place, starts_at, timezone, agenda, created_at) VALUES "
        "(31, '{}', 'Mairie', CURRENT_TIMESTAMP, 'Africa/Bamako', '{}', CURRENT_TIMESTAMP)",
    )
    upgrade(scratch_url)
    assert {"user_id", "idempotency_key", "request_digest"} <= _columns(scratch_url, "meetings")
    assert "user_id" in _columns(scratch_url, "broadcasts")
    assert _run(scratch_url, "SELECT user_id, idempotency_key FROM meetings WHERE id = 31") == [(None, None)]
    for insert in (BROADCAST, MEETING):
        # One account, one key: once. No account (API rows, keyed per token) and another: free.
        _run(scratch_url, insert.format(user=7), insert.format(user=8), insert.format(user="NULL"))
        _run(scratch_url, insert.format(user="NULL"))
        with pytest.raises(IntegrityError):
            _run(scratch_url, insert.format(user=7))
    command.downgrade(alembic_config(scratch_url), "0017")
    assert "user_id" not in _columns(scratch_url, "broadcasts")
    assert not {"user_id", "idempotency_key", "request_digest"} & _columns(scratch_url, "meetings")
    upgrade(scratch_url)
