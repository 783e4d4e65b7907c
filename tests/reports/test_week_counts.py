"""The overview's counts the database keeps (report_week_counts and the moves not folded in yet,
migrations 0016 and 0019): after reports are written, corrected and deleted, and after any fold,
always what counting the reports again gives; reports of one week, topic, commune and language
written at once never wait for each other; and the triggers that keep them are there (a later
migration copying the reports table on SQLite would drop them)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from gateway.areas.models import Area
from gateway.reports.models import Report, ReportWeekCount, ReportWeekMove
from gateway.reports.stats import count_weeks, week_starts
from gateway.reports.week_counts import fold_moves
from gateway.wiring import Gateway
from tests.helpers import MakeReport

# A Sunday's last second and the next Monday's first: the two sides of a week's boundary (UTC).
SUNDAY_LATE = datetime(2026, 11, 29, 23, 59, 59, 999_000, tzinfo=UTC)
MONDAY_EARLY = datetime(2026, 11, 30, 0, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _monday(moment: datetime) -> date:
    return (moment - timedelta(days=moment.weekday())).date()


async def kept(gateway: Gateway) -> Counter[tuple[date, str, int | None, str]]:
    """The counts as kept: each row plus its moves not folded in yet."""
    found: Counter[tuple[date, str, int | None, str]] = Counter()
    async with gateway.sessionmaker() as db:
        for table in (ReportWeekCount, ReportWeekMove):
            for r in (await db.execute(select(table))).scalars():
                found[(r.week, r.topic, r.area_key or None, r.language)] += r.reports
    return +found  # the groups at 0 (every report moved elsewhere or deleted) left out


async def fold(gateway: Gateway) -> int:
    async with gateway.sessionmaker() as db, db.begin():
        return await fold_moves(db)


async def moves_left(gateway: Gateway) -> int:
    async with gateway.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(ReportWeekMove))).scalar_one())


async def recounted(gateway: Gateway) -> Counter[tuple[date, str, int | None, str]]:
    async with gateway.sessionmaker() as db:
        reports = (await db.execute(select(Report))).scalars().all()
    return Counter((_monday(r.created_at), r.topic, r.area_id, r.language) for r in reports)


async def test_the_kept_counts_follow_every_write(gateway: Gateway, make_report: MakeReport) -> None:
    late = await make_report("Zégoua", at=SUNDAY_LATE)
    early = await make_report("Zégoua", at=MONDAY_EARLY, language="bm")
    other = await make_report("Banfora", topic="other", at=NOW - timedelta(weeks=3))
    await make_report("Banfora", topic="other", at=NOW - timedelta(weeks=3))
    assert await kept(gateway) == await recounted(gateway)
    assert (await kept(gateway))[(date(2026, 11, 23), "security_incident", late.area_id, "fr")] == 1
    assert (await kept(gateway))[(date(2026, 11, 30), "security_incident", early.area_id, "bm")] == 1
    async with gateway.sessionmaker() as db, db.begin():
        banfora = (await db.execute(select(Area.id).where(Area.name == "Banfora"))).scalar_one()
        # A correction of each watched column, one without any change, one of another column.
        await db.execute(update(Report).where(Report.id == late.id).values(topic="other", area_id=None))
        await db.execute(update(Report).where(Report.id == early.id).values(created_at=NOW, language="fr"))
        await db.execute(update(Report).where(Report.id == other.id).values(area_id=banfora))
        await db.execute(update(Report).where(Report.id == other.id).values(status="closed"))
    assert await kept(gateway) == await recounted(gateway)
    assert await fold(gateway) > 0
    assert await moves_left(gateway) == 0
    assert await kept(gateway) == await recounted(gateway)
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(delete(Report).where(Report.id == other.id))
    assert await kept(gateway) == await recounted(gateway)
    async with gateway.sessionmaker() as db:
        counts = await count_weeks(db, None, NOW)
    assert counts.total == 3
    assert [start for start, _ in counts.weeks] == week_starts(NOW)
    assert [n for _, n in counts.weeks][-4:] == [1, 0, 1, 1]
    assert dict(counts.by_topic) == {"other": 2, "security_incident": 1}
    assert (None, 1) in counts.by_commune


async def test_a_group_emptied_by_corrections_is_not_counted(
    gateway: Gateway, make_report: MakeReport
) -> None:
    report = await make_report("Zégoua", at=NOW - timedelta(days=1))
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Report).where(Report.id == report.id).values(topic="other"))
    async with gateway.sessionmaker() as db:
        counts = await count_weeks(db, None, NOW)
    assert counts.by_topic == [("other", 1)]  # security_incident's row holds 0 now: not shown


async def test_the_triggers_are_there(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db:
        if gateway.settings.is_sqlite:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'reports'"
        else:
            query = "SELECT DISTINCT trigger_name FROM information_schema.triggers WHERE event_object_table = 'reports'"
        names = set((await db.execute(text(query))).scalars())
    assert {f"report_week_counts_{n}" for n in ("insert", "update", "delete")} <= names


async def test_a_fold_changes_no_count_and_takes_at_most_its_batch(
    gateway: Gateway, make_report: MakeReport
) -> None:
    for day in range(5):
        await make_report("Zégoua", at=NOW - timedelta(days=day))
    async with gateway.sessionmaker() as db:
        before = await count_weeks(db, None, NOW)
    moves = await moves_left(gateway)
    async with gateway.sessionmaker() as db, db.begin():
        await fold_moves(db, batch=2)
    assert await moves_left(gateway) == moves - 2  # the oldest two folded in, the others still moves
    async with gateway.sessionmaker() as db:
        assert await count_weeks(db, None, NOW) == before
    await fold(gateway)
    assert await moves_left(gateway) == 0
    assert await fold(gateway) == 0  # nothing left: a fold of nothing writes nothing
    async with gateway.sessionmaker() as db:
        assert await count_weeks(db, None, NOW) == before
    assert await kept(gateway) == await recounted(gateway)


async def test_the_minute_sweep_folds_the_moves(gateway: Gateway, make_report: MakeReport) -> None:
    await make_report("Zégoua", at=NOW)
    await gateway.sweeper.step()
    assert await moves_left(gateway) == 0
    assert await kept(gateway) == await recounted(gateway)


def _postgres_only(gateway: Gateway) -> None:
    if gateway.settings.is_sqlite:
        pytest.skip("SQLite has one writer at a time: no two reports are ever written together")


async def test_reports_of_one_incident_written_together_do_not_wait_for_each_other(
    gateway: Gateway, make_report: MakeReport
) -> None:
    """Two transactions each writing a report of the same week, topic, commune and language: the
    second must not wait for the first to commit (it did when both updated one count row)."""
    _postgres_only(gateway)
    first = await make_report("Zégoua", at=NOW)
    columns = "created_at, channel, language, topic, area_id, urgency, description, anonymous, status, place_confirmed"
    copy = (
        f"INSERT INTO reports (reference, {columns}) SELECT :reference, {columns} FROM reports WHERE id = :id"
    )
    async with gateway.sessionmaker() as one, one.begin():
        await one.execute(text(copy), {"reference": "R-TOGETHER1", "id": first.id})
        async with gateway.sessionmaker() as two, two.begin():
            await two.execute(text("SET LOCAL lock_timeout = '2s'"))
            await two.execute(text(copy), {"reference": "R-TOGETHER2", "id": first.id})
    assert await kept(gateway) == await recounted(gateway)


async def test_a_move_committed_during_a_fold_is_counted_once(
    gateway: Gateway, make_report: MakeReport
) -> None:
    """A report whose transaction is still open while the sweep folds: its move is not taken by
    that fold (it is not visible to it) and is counted by the next, never lost, never twice."""
    _postgres_only(gateway)
    await make_report("Zégoua", at=NOW)
    late = await make_report("Zégoua", at=NOW)
    async with gateway.sessionmaker() as writer, writer.begin():
        await writer.execute(update(Report).where(Report.id == late.id).values(topic="other"))
        await fold(gateway)  # meanwhile, in a transaction of its own
    assert await kept(gateway) == await recounted(gateway)
    await fold(gateway)
    assert await moves_left(gateway) == 0
    assert await kept(gateway) == await recounted(gateway)


async def test_two_folds_at_once_count_each_move_once(gateway: Gateway, make_report: MakeReport) -> None:
    """Two sweepers (two worker processes) folding at the same moment."""
    for day in range(6):
        await make_report("Zégoua", at=NOW - timedelta(days=day))
    await asyncio.gather(fold(gateway), fold(gateway))
    assert await moves_left(gateway) == 0
    assert await kept(gateway) == await recounted(gateway)
