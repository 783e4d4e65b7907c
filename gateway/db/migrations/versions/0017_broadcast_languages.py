"""broadcasts: the readers' languages a broadcast is limited to (issue 13's composer: recipients by
area and language)

A JSON list of language codes; empty (the server default, so every existing broadcast) means every
language, which is what broadcasts did before.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_column("languages")
