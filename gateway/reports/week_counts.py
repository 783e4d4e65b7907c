"""Folding the moves the triggers append (ReportWeekMove, migration 0019) into the weekly counts.

Writers never touch report_week_counts: each report appends +1/-1 moves, so reports of one incident
arriving together never queue on one row. The minute sweep folds the moves into the counts here;
readers sum both tables (reports.stats.count_weeks), so a fold changes no total.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.base import rows_changed

# At most this many moves in one fold (one sweep's transaction stays short after a bulk import).
FOLD_BATCH = 100_000

KEY = "week, topic, area_key, language"
ADD = f"ON CONFLICT ({KEY}) DO UPDATE SET reports = report_week_counts.reports + excluded.reports"

# PostgreSQL: the moves deleted and added in one statement. Only the rows this statement deleted are
# added, so a move committed meanwhile, or one a concurrent fold took first, is counted exactly once.
# The counts are written in key order, so two folds (two workers) never lock them crosswise.
FOLD_POSTGRESQL = text(
    f"WITH moved AS (DELETE FROM report_week_moves WHERE id IN "
    f"(SELECT id FROM report_week_moves ORDER BY id LIMIT :batch) RETURNING {KEY}, reports) "
    f"INSERT INTO report_week_counts ({KEY}, reports) SELECT {KEY}, sum(reports) FROM moved "
    f"GROUP BY {KEY} ORDER BY {KEY} {ADD}"
)

# SQLite: one writer at a time and the sessions begin IMMEDIATE, so from the first statement on
# no move can be added or taken until this transaction ends; the oldest ones up to an id are added,
# then deleted.
LAST_SQLITE = text("SELECT max(id) FROM (SELECT id FROM report_week_moves ORDER BY id LIMIT :batch)")
ADD_SQLITE = text(
    f"INSERT INTO report_week_counts ({KEY}, reports) SELECT {KEY}, sum(reports) FROM report_week_moves "
    f"WHERE id <= :last GROUP BY {KEY} {ADD}"
)
DELETE_SQLITE = text("DELETE FROM report_week_moves WHERE id <= :last")


async def fold_moves(db: AsyncSession, batch: int = FOLD_BATCH) -> int:
    """Folds up to `batch` of the oldest moves into the counts; the caller owns the transaction.
    Returns how many count rows were written (0: nothing to fold)."""
    if db.get_bind().dialect.name == "postgresql":
        return rows_changed(await db.execute(FOLD_POSTGRESQL, {"batch": batch}))
    last = (await db.execute(LAST_SQLITE, {"batch": batch})).scalar_one()
    if last is None:
        return 0
    written = rows_changed(await db.execute(ADD_SQLITE, {"last": last}))
    await db.execute(DELETE_SQLITE, {"last": last})
    return written
