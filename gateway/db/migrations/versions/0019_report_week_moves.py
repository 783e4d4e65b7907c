"""report_week_counts: the triggers append moves instead of updating the counts in place

Migration 0016's triggers added 1 to a report's (week, topic, commune, language) row of
report_week_counts in the writer's own transaction. Every report of the same week, topic, commune
and language updated the same row, so on PostgreSQL each waited for the one before it to commit
(its WAL flush included) while holding its own connection: a convoy. It is the very case that
matters: many residents reporting one incident in one commune within minutes. In the USSD
benchmark (every session the same report) the report hop's statement spent 1.4–3.1 ms waiting on
that row in its slowest runs (auto_explain, docs/benchmarks.md).

Now the triggers append a row of +1 or -1 to report_week_moves, which no two writers ever share,
and the minute sweep folds the moves into report_week_counts in one statement
(gateway/reports/week_counts.py). The overview sums both tables, so it is exact at every moment,
whether or not the sweep has run. The moves already made by 0016's triggers are in
report_week_counts: nothing to carry over.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-11 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The week (its Monday, UTC) of a report's created_at, as each database writes it (as in 0016).
WEEK = {
    "postgresql": "date_trunc('week', {row}created_at AT TIME ZONE 'UTC')::date",
    "sqlite": "date({row}created_at, 'weekday 0', '-6 days')",
}
KEY = "week, topic, area_key, language"
WATCHED = ("created_at", "topic", "area_id", "language")


def _move(dialect: str, row: str, step: int, table: str) -> str:
    """The statement counting `row` (NEW or OLD) in or out of its week, topic, place and language."""
    week = WEEK[dialect].format(row=f"{row}.")
    values = f"{week}, {row}.topic, coalesce({row}.area_id, 0), {row}.language, {step}"
    if table == "report_week_moves":
        return f"INSERT INTO report_week_moves ({KEY}, reports) VALUES ({values})"
    return (
        f"INSERT INTO report_week_counts ({KEY}, reports) VALUES ({values}) "
        f"ON CONFLICT ({KEY}) DO UPDATE SET reports = report_week_counts.reports + {step}"
    )


def _create_triggers(table: str) -> None:
    """The three triggers on reports (insert; update of a watched column; delete) writing to `table`."""
    dialect = op.get_bind().dialect.name
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION report_week_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN {_move(dialect, "OLD", -1, table)}; END IF;
                IF TG_OP IN ('UPDATE', 'INSERT') THEN {_move(dialect, "NEW", 1, table)}; END IF;
                RETURN NULL;
            END $$
            """
        )
        return  # the triggers themselves call the function by name: unchanged
    changed = changed.replace("IS DISTINCT FROM", "IS NOT")
    for name, when, body in (
        ("insert", "INSERT", _move(dialect, "NEW", 1, table)),
        ("delete", "DELETE", _move(dialect, "OLD", -1, table)),
        (
            "update",
            f"UPDATE OF {', '.join(WATCHED)}",
            f"{_move(dialect, 'OLD', -1, table)}; {_move(dialect, 'NEW', 1, table)}",
        ),
    ):
        condition = f"WHEN {changed}" if name == "update" else ""
        op.execute(f"DROP TRIGGER IF EXISTS report_week_counts_{name}")
        op.execute(
            f"CREATE TRIGGER report_week_counts_{name} AFTER {when} ON reports FOR EACH ROW "
            f"{condition} BEGIN {body}; END"
        )


def upgrade() -> None:
    op.create_table(
        "report_week_moves",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("area_key", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_week_moves")),
    )
    _create_triggers("report_week_moves")


def downgrade() -> None:
    _create_triggers("report_week_counts")
    # WHERE true: SQLite reads an UPSERT's ON after a bare SELECT as a join's (its documented quirk).
    op.execute(
        f"INSERT INTO report_week_counts ({KEY}, reports) "
        f"SELECT {KEY}, sum(reports) FROM report_week_moves WHERE true GROUP BY {KEY} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET reports = report_week_counts.reports + excluded.reports"
    )
    op.drop_table("report_week_moves")
