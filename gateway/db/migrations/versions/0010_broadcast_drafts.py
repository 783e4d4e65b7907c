"""broadcast drafts: no time until scheduled, why one failed, idempotency keys

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.db.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("token_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))
        batch_op.alter_column(
            "send_at", existing_type=gateway.db.base.UTCDateTime(timezone=True), nullable=True
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_broadcasts_token_id"), ["token_id", "idempotency_key"]
        )


def downgrade() -> None:
    # A draft without a time gets the time it was made: it stays a draft, so nothing is sent.
    op.execute("UPDATE broadcasts SET send_at = created_at WHERE send_at IS NULL")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_broadcasts_token_id"), type_="unique")
        batch_op.alter_column(
            "send_at", existing_type=gateway.db.base.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("request_digest")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_column("token_id")
        batch_op.drop_column("failure_reason")
