"""Seed the forum's border areas from data/areas/border_areas.csv

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

from gateway.areas.csvfile import read_rows
from gateway.areas.importer import import_rows
from gateway.config import ROOT

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEED = ROOT / "data" / "areas" / "border_areas.csv"


def upgrade() -> None:
    # Matching by name/alias means running this on a database that already has areas adds only
    # what is missing; it never removes an area a report points to.
    import_rows(op.get_bind(), read_rows(SEED))


def downgrade() -> None:
    # Seeded areas may already carry reports; they are left in place.
    pass
