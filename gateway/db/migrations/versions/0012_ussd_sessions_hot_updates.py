"""ussd_sessions: no index on a column every hop changes, so each hop's UPDATE is a light one

Every hop rewrites its session row (`updated_at` among others). With an index on `updated_at`, each
of those updates also wrote a new entry in every index of the table; without it, PostgreSQL updates
the row in place on its page (a "HOT" update) when the page has room, which `fillfactor` leaves.
The one query that needed the index (the sweep of sessions left open) now finds the open sessions
through a partial index on the few rows still open.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPEN = sa.text("ended_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("ussd_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_ussd_sessions_updated_at")
        batch_op.create_index(
            "ix_ussd_sessions_open", ["id"], unique=False, postgresql_where=OPEN, sqlite_where=OPEN
        )
    if op.get_bind().dialect.name == "postgresql":
        # Room on each page for the next versions of its rows; pages written before keep theirs
        # until rewritten (VACUUM FULL or a dump and restore).
        op.execute("ALTER TABLE ussd_sessions SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ussd_sessions RESET (fillfactor)")
    with op.batch_alter_table("ussd_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_ussd_sessions_open", postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index("ix_ussd_sessions_updated_at", ["updated_at"], unique=False)
