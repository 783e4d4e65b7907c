"""channel routing: what each outbox message tried, and each channel's shared state and pace

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tried_channels", sa.String(length=128), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("channel_attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("uncertain_at", gateway.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("provider_ref", sa.String(length=64), nullable=True))
    op.create_table(
        "channel_states",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="unknown", nullable=False),
        sa.Column("detail", sa.String(length=200), server_default="", nullable=False),
        sa.Column("changed_at", gateway.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("down_until", gateway.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("available_at", gateway.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_states")),
    )


def downgrade() -> None:
    op.drop_table("channel_states")
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_column("provider_ref")
        batch_op.drop_column("uncertain_at")
        batch_op.drop_column("channel_attempts")
        batch_op.drop_column("tried_channels")
