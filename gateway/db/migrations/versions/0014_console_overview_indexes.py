"""reports: a partial index on the urgent reports nobody has taken up yet, for the console's overview

The overview lists the newest urgent reports still new or forwarded and counts them, on every
load. Without this index both scan the whole table (about 200 ms for 1,000,000 reports on
PostgreSQL); with it they read the few entries of the open urgent reports. The predicate is
gateway.reports.models.URGENT_OPEN, written out here as it was when this migration was made.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

URGENT_OPEN = sa.text("urgency = 'urgent' AND status IN ('new', 'forwarded')")


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reports_urgent_open",
            ["created_at", "area_id"],
            unique=False,
            postgresql_where=URGENT_OPEN,
            sqlite_where=URGENT_OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_urgent_open", postgresql_where=URGENT_OPEN, sqlite_where=URGENT_OPEN)
