"""console form keys: a broadcast draft or a meeting made from a console form is kept with the
form's one-time key and its author's account, unique per account (issue 13: a double click on
"save" makes one draft, not two)

`broadcasts` already has `idempotency_key` and `request_digest` (0010, for API tokens); it gains the
console account, `user_id`. `meetings` gains all three. Existing rows have none: they were made
before, and no form can be sent again with a key they do not have.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-11 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_broadcasts_user_id"), ["user_id", "idempotency_key"])
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_meetings_user_id"), ["user_id", "idempotency_key"])


def downgrade() -> None:
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_meetings_user_id"), type_="unique")
        batch_op.drop_column("request_digest")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_column("user_id")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_broadcasts_user_id"), type_="unique")
        batch_op.drop_column("user_id")
