"""anonymity that holds: flood marks, coarse times, no links left by past anonymous reports

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _truncated(column: str, unit: str) -> str:
    """SQL for a timestamp cut to the hour or the day, on the database at hand."""
    if op.get_bind().dialect.name == "postgresql":
        return f"date_trunc('{unit}', {column})"
    pattern = "%Y-%m-%d %H:00:00.000000" if unit == "hour" else "%Y-%m-%d 00:00:00.000000"
    return f"strftime('{pattern}', {column})"


def upgrade() -> None:
    op.create_table(
        "flood_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", gateway.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flood_marks")),
    )
    with op.batch_alter_table("flood_marks", schema=None) as batch_op:
        batch_op.create_index("ix_flood_marks_key_at", ["key", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_flood_marks_at"), ["at"], unique=False)

    # Retention deletes idle contacts; a broadcast keeps counting the rows of its recipients.
    with op.batch_alter_table("broadcast_recipients", schema=None) as batch_op:
        batch_op.drop_constraint("fk_broadcast_recipients_contact_id_contacts", type_="foreignkey")
        batch_op.alter_column("contact_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            "fk_broadcast_recipients_contact_id_contacts",
            "contacts",
            ["contact_id"],
            ["id"],
            ondelete="SET NULL",
        )

    # Member and token names are up to 120 characters; 64 made long ones fail on PostgreSQL.
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.alter_column(
            "actor", existing_type=sa.String(length=64), type_=sa.String(length=160), existing_nullable=False
        )

    # What earlier versions left behind. Contacts keep days, ended sessions hours, and no ended
    # session keeps its input path (it held the description).
    op.execute(
        f"UPDATE contacts SET created_at = {_truncated('created_at', 'day')}, "
        f"updated_at = {_truncated('updated_at', 'day')}"
    )
    op.execute(
        "UPDATE ussd_sessions SET last_text = '', "
        f"started_at = {_truncated('started_at', 'hour')}, updated_at = {_truncated('updated_at', 'hour')}, "
        f"ended_at = {_truncated('ended_at', 'hour')}, end_reported_at = {_truncated('end_reported_at', 'hour')} "
        "WHERE ended_at IS NOT NULL"
    )
    # Sessions that produced an anonymous report (they had lost the phone hash) still pointed at
    # the sessions they resumed, which kept theirs: walk the chains back and cut every link.
    chain = "phone_hash = '' AND outcome IN ('reported', 'anon-chain')"
    for _ in range(20):
        op.execute(
            "UPDATE ussd_sessions SET phone_hash = '', contact_id = NULL, last_text = '', "
            "last_response = '', state = '{}', in_report = false, outcome = 'anon-chain' "
            f"WHERE id IN (SELECT resumed_from FROM ussd_sessions WHERE {chain} AND resumed_from IS NOT NULL)"
        )
    # The provider's session id of those sessions is a key to its records of the phone; without
    # the secret key it cannot be turned into the digest new code keeps, so it goes.
    op.execute(
        "UPDATE ussd_sessions SET session_id = 'forgotten:' || CAST(id AS VARCHAR(20)), resumed_from = NULL "
        f"WHERE {chain} AND session_id NOT LIKE 'h:%'"
    )
    op.execute("UPDATE ussd_sessions SET outcome = 'resumed' WHERE outcome = 'anon-chain'")


def downgrade() -> None:
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.alter_column(
            "actor", existing_type=sa.String(length=160), type_=sa.String(length=64), existing_nullable=False
        )
    with op.batch_alter_table("broadcast_recipients", schema=None) as batch_op:
        batch_op.drop_constraint("fk_broadcast_recipients_contact_id_contacts", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_broadcast_recipients_contact_id_contacts",
            "contacts",
            ["contact_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("flood_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flood_marks_at"))
        batch_op.drop_index("ix_flood_marks_key_at")
    op.drop_table("flood_marks")
