"""area_boundaries: each area's outline from OCHA COD-AB, simplified for the console's map

Filled by `gateway areas import-boundaries FILE`; empty until then (the overview then says how to
get the file). A row per area; deleting an area deletes its outline.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.db.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

UTC = gateway.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "area_boundaries",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("source_vertices", sa.Integer(), nullable=False),
        sa.Column("vertices", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("imported_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_area_boundaries_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("area_id", name=op.f("pk_area_boundaries")),
    )


def downgrade() -> None:
    op.drop_table("area_boundaries")
