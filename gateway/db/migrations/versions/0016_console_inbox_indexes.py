"""reports: indexes for the console's inbox (one per filter whose matches may be few among many),
and the overview's weekly counts kept by triggers

The inbox lists the newest 50 reports matching its filters, newest first, and pages on by key
(created_at, id). With only the index on created_at, a filter whose matches are rare among the
newest reports (a language little used lately, a status, urgent reports on a quiet border) made
PostgreSQL walk the whole table back from today: 0.9–1.8 s for 1,000,000 reports. Each index below
starts at the filter's value and reads its reports newest first, so a page reads about 50 entries
however rare the value is (benchmarks/console_pages.py; docs/benchmarks.md, console section).

- topic, status, language: (column, created_at); ix_reports_topic (topic alone) is replaced by
  its (topic, created_at) form, which answers everything it did.
- ix_reports_area_id (area_id alone) is dropped: ix_reports_area_created (area_id, created_at)
  answers everything it did, the foreign key's checks included.
- urgent reports: a partial index on created_at of the urgent ones only, so a report that is not
  urgent (most) costs it nothing when written.
- not the channel (two values, both common) and not the commune, which has ix_reports_area_created
  already (reports without a place included: area_id IS NULL reads the same index).

Every index is one more entry written with each new report: the benchmark times that too.

And the overview's counts, kept as reports change: report_week_counts holds, per week (Monday,
UTC), topic, commune (0: none yet) and language, how many reports there are, moved by triggers on
reports (insert; update of created_at, topic, area_id or language; delete) in the writer's own
transaction. Counting 12 weeks was a pass over every report of them (0.5 s for 1,000,000 on an idle
server, over 1 s on a busy one, paid by the first overview in each minute); it is now a sum over
at most 12 x topics x communes x languages rows. The table is filled from the reports here.
A later migration that copies the reports table on SQLite (an Alembic batch "move and copy")
drops these triggers and must create them again (tests/reports/test_week_counts.py notices).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

URGENT = sa.text("urgency = 'urgent'")
BY_VALUE = ("topic", "status", "language")


# The week (its Monday, UTC) of a report's created_at, as each database writes it.
WEEK = {
    "postgresql": "date_trunc('week', {row}created_at AT TIME ZONE 'UTC')::date",
    # created_at is stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; weekday 0 is the Sunday on or
    # after it, six days before that its Monday; a date is stored as 'YYYY-MM-DD'.
    "sqlite": "date({row}created_at, 'weekday 0', '-6 days')",
}
KEY = "week, topic, area_key, language"
WATCHED = ("created_at", "topic", "area_id", "language")


def _add(dialect: str, row: str, step: int) -> str:
    """The statement moving the count of `row`'s (NEW or OLD) week, topic, place and language."""
    week = WEEK[dialect].format(row=f"{row}.")
    return (
        f"INSERT INTO report_week_counts ({KEY}, reports) "
        f"VALUES ({week}, {row}.topic, coalesce({row}.area_id, 0), {row}.language, {step}) "
        f"ON CONFLICT ({KEY}) DO UPDATE SET reports = report_week_counts.reports + {step}"
    )


def _create_counts() -> None:
    op.create_table(
        "report_week_counts",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("area_key", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", "topic", "area_key", "language", name=op.f("pk_report_week_counts")),
    )
    dialect = op.get_bind().dialect.name
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION report_week_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN {_add(dialect, "OLD", -1)}; END IF;
                IF TG_OP IN ('UPDATE', 'INSERT') THEN {_add(dialect, "NEW", 1)}; END IF;
                RETURN NULL;
            END $$
            """
        )
        for name, when in (
            ("insert", "INSERT"),
            ("delete", "DELETE"),
            ("update", f"UPDATE OF {', '.join(WATCHED)}"),
        ):
            condition = f"WHEN ({changed})" if name == "update" else ""
            op.execute(
                f"CREATE TRIGGER report_week_counts_{name} AFTER {when} ON reports FOR EACH ROW "
                f"{condition} EXECUTE FUNCTION report_week_counts_move()"
            )
    else:
        # SQLite: IS NOT for IS DISTINCT FROM; an UPSERT's INSERT … VALUES is fine inside a trigger.
        changed = changed.replace("IS DISTINCT FROM", "IS NOT")
        for name, when, body in (
            ("insert", "INSERT", _add(dialect, "NEW", 1)),
            ("delete", "DELETE", _add(dialect, "OLD", -1)),
            (
                "update",
                f"UPDATE OF {', '.join(WATCHED)}",
                f"{_add(dialect, 'OLD', -1)}; {_add(dialect, 'NEW', 1)}",
            ),
        ):
            condition = f"WHEN {changed}" if name == "update" else ""
            op.execute(
                f"CREATE TRIGGER report_week_counts_{name} AFTER {when} ON reports FOR EACH ROW "
                f"{condition} BEGIN {body}; END"
            )
    week = WEEK[dialect].format(row="")
    op.execute(
        f"INSERT INTO report_week_counts ({KEY}, reports) "
        f"SELECT {week}, topic, coalesce(area_id, 0), language, count(*) FROM reports "
        f"GROUP BY {week}, topic, coalesce(area_id, 0), language"
    )


def _drop_counts() -> None:
    for name in ("insert", "delete", "update"):
        op.execute(
            f"DROP TRIGGER IF EXISTS report_week_counts_{name}"
            + (" ON reports" if op.get_bind().dialect.name == "postgresql" else "")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS report_week_counts_move()")
    op.drop_table("report_week_counts")


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_topic")
        batch_op.drop_index("ix_reports_area_id")
        for column in BY_VALUE:
            batch_op.create_index(f"ix_reports_{column}_created", [column, "created_at"], unique=False)
        batch_op.create_index(
            "ix_reports_urgent_created",
            ["created_at"],
            unique=False,
            postgresql_where=URGENT,
            sqlite_where=URGENT,
        )
    # After the batch: on SQLite a batch may copy the table, which would drop its triggers.
    _create_counts()


def downgrade() -> None:
    _drop_counts()
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_urgent_created", postgresql_where=URGENT, sqlite_where=URGENT)
        for column in reversed(BY_VALUE):
            batch_op.drop_index(f"ix_reports_{column}_created")
        batch_op.create_index("ix_reports_area_id", ["area_id"], unique=False)
        batch_op.create_index("ix_reports_topic", ["topic"], unique=False)
