"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from gateway.models import Base
from gateway.wiring import Gateway


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(gateway: Gateway) -> None:
    async with gateway.db_engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []


def _session_indexes(connection: Connection) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from sqlalchemy import inspect

    inspector = inspect(connection)
    return inspector.get_indexes("ussd_sessions"), inspector.get_table_options("ussd_sessions")


async def test_a_menu_hop_changes_no_indexed_column_of_its_session(gateway: Gateway) -> None:
    # Each hop rewrites its session row: an index on a column it changes would make every hop's
    # UPDATE write into every index of the table (no in-place "HOT" update on PostgreSQL).
    import re

    from gateway.ussd.store import _PostgresHop, _SqliteHop

    async with gateway.db_engine.connect() as connection:
        indexes, options = await connection.run_sync(_session_indexes)
    for save in (_PostgresHop.SAVE, _SqliteHop.SAVE):
        changed = set(re.findall(r"(\w+)=", save.split(" WHERE ")[0]))
        assert {"hops", "updated_at", "state", "last_response"} <= changed
        for index in indexes:
            assert not changed & set(index["column_names"]), index
    if not gateway.settings.is_sqlite:  # room on each page for the row's next version
        assert options.get("postgresql_with", {}).get("fillfactor") in ("70", 70), options
