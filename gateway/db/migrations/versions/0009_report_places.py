"""report places: when a report was placed, asked about, alerted

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("placed_at", gateway.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("place_asked_at", gateway.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("place_confirmed", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("alerted_at", gateway.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_reports_area_placed", ["area_id", "placed_at"], unique=False)
    # Reports placed so far were placed when made; urgent ones with a place were alerted then.
    op.execute("UPDATE reports SET placed_at = created_at WHERE area_id IS NOT NULL")
    op.execute("UPDATE reports SET alerted_at = created_at WHERE area_id IS NOT NULL AND urgency = 'urgent'")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.alter_column("place_confirmed", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_area_placed")
        batch_op.drop_column("alerted_at")
        batch_op.drop_column("place_confirmed")
        batch_op.drop_column("place_asked_at")
        batch_op.drop_column("placed_at")
