"""The overview's counts the database keeps (report_week_counts, migration 0016): after reports are
written, corrected and deleted, always what counting the reports again gives; and the triggers
that keep them are there (a later migration copying the reports table on SQLite would drop them)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select, text, update

from gateway.areas.models import Area
from gateway.reports.models import Report, ReportWeekCount
from gateway.reports.stats import count_weeks, week_starts
from gateway.wiring import Gateway
from tests.helpers import MakeReport

# A Sunday's last second and the next Monday's first: the two sides of a week's boundary (UTC).
SUNDAY_LATE = datetime(2026, 11, 29, 23, 59, 59, 999_000, tzinfo=UTC)
MONDAY_EARLY = datetime(2026, 11, 30, 0, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _monday(moment: datetime) -> date:
    return (moment - timedelta(days=moment.weekday())).date()


async def kept(gateway: Gateway) -> Counter[tuple[date, str, int | None, str]]:
    async with gateway.sessionmaker() as db:
        rows = await db.execute(select(ReportWeekCount))
        return Counter(
            {
                (r.week, r.topic, r.area_key or None, r.language): r.reports
                for r in rows.scalars()
                if r.reports
            }
        )


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
