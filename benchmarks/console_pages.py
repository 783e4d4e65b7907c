"""Console pages benchmark: how fast the overview and the reports inbox answer over a large table.

    .venv/bin/python benchmarks/console_pages.py --database-url URL \
        [--reports 1000000] [--requests 100] [--cold 20] [--inserts 1000] [--reuse] [--json FILE]

URL is an EMPTY PostgreSQL database (postgresql+asyncpg://…) or SQLite file (sqlite+aiosqlite:///…).
Fills it (not timed): 200 communes (the seeded ones plus synthetic ones), N reports spread over the
last 12 weeks, across the communes (2 % without a place yet), the topics, urgencies, statuses, the
two channels and the four languages, in one INSERT … SELECT (generate_series on PostgreSQL, a
recursive WITH on SQLite); a committee covering 5 communes; an organiser and a member of that
committee with console accounts. `--reuse` takes a database this benchmark filled before, as it is.

Then signs both in through the real app (the ASGI app in process, over httpx, with its sessions,
CSRF, audit log and database) and, for each case, times R requests one after the other after 5 not
timed: the overview with its 60-second counts cache warm and with it emptied before every request
(what the first load in a minute pays; `--cold` requests), the inbox unfiltered, with each filter
alone, pages far down (keyset: "older" links carry the last reference shown), a committee member's
inbox and a report's page. Prints p50/p95/max and the HTML's size per case; last, `--inserts`
reports created one per transaction as the SMS/USSD path does (create_report), against the full
table: what the table's indexes cost each new report. Target (issue 13): p95 ≤ 300 ms on
PostgreSQL with 1,000,000 reports. Leaves its rows behind: drop the database after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import delete, func, select, text  # noqa: E402

from benchmarks.load.database import add_test_communes  # noqa: E402
from gateway.accounts.invitations import accept, invite, open_invitation  # noqa: E402
from gateway.accounts.passwords import Passwords  # noqa: E402
from gateway.accounts.secret_tokens import TokenKeys  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.areas.models import Area  # noqa: E402
from gateway.committees.models import Committee, CommitteeArea  # noqa: E402
from gateway.config import load_settings  # noqa: E402
from gateway.db.base import utcnow  # noqa: E402
from gateway.db.migrate import upgrade  # noqa: E402
from gateway.reports.models import Report  # noqa: E402
from gateway.reports.reference import ALPHABET  # noqa: E402
from gateway.reports.service import TOPICS, URGENCIES, NewReport, create_report  # noqa: E402
from gateway.reports.week_counts import fold_moves  # noqa: E402
from gateway.wiring import Gateway  # noqa: E402

COMMUNES = 200
COMMITTEE_COMMUNES = 5
COMMITTEE = "Comité benchmark"
WARM_UP = 5
PASSWORD = "benchmark password 2026"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
STATUSES = ("new", "new", "forwarded", "acknowledged", "closed")
LANGUAGES = ("fr", "bm", "dyu", "mos")


def _pick(index: str, values: list[str] | list[int], sqlite: bool) -> str:
    """values[index] in SQL. Literals of our own making (ids, fixed codes): no user input here."""
    literals = [repr(v) if isinstance(v, str) else str(v) for v in values]
    if sqlite:
        return f"CASE {index} " + " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(literals)) + " END"
    return f"(ARRAY[{','.join(literals)}])[1 + {index}]"


def _reference(n: str) -> str:
    # 'R-' and six characters of the references' alphabet, n written in base 30: parse_reference
    # takes it, so a report's page and the "older" links work as for a real one.
    digits = [f"substr('{ALPHABET}', CAST(1 + ({n} / {30**k}) % 30 AS INTEGER), 1)" for k in range(5, -1, -1)]
    return "'R-' || " + " || ".join(digits)


async def build(gateway: Gateway, reports: int, sqlite: bool) -> None:
    """The communes, N reports and the committee."""
    async with gateway.sessionmaker() as db, db.begin():
        if (await db.execute(select(func.count()).select_from(Report))).scalar_one():
            raise SystemExit("the database already holds reports: give an EMPTY test database (or --reuse)")
    await add_test_communes(gateway, COMMUNES)
    async with gateway.sessionmaker() as db, db.begin():
        communes = sorted((await db.execute(select(Area.id).where(Area.level == 3))).scalars())
        committee = Committee(
            name=COMMITTEE, schedule="weekly mon 08:00", timezone="Africa/Bamako", next_digest_at=utcnow()
        )
        db.add(committee)
        await db.flush()
        for area_id in communes[:: len(communes) // COMMITTEE_COMMUNES][:COMMITTEE_COMMUNES]:
            db.add(CommitteeArea(committee_id=committee.id, area_id=area_id))
        # Spread by arithmetic on n, not random(): the same rows on every run. 84 days back, each
        # moment a different second of its day; every 50th report without a place yet.
        if sqlite:
            moment = (
                "datetime('now', '-' || (n % 84) || ' days', '-' || (n * 7919 % 86400) || ' seconds')"
                " || '.000000'"
            )
            numbers = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :reports)"
            source = "FROM s"
        else:
            moment = "now() - (n % 84) * interval '1 day' - (n * 7919 % 86400) * interval '1 second'"
            numbers, source = "", "FROM generate_series(1::bigint, :reports) AS n"
        await db.execute(
            text(
                f"""
                INSERT INTO reports (reference, created_at, placed_at, place_confirmed, channel, language,
                    topic, area_id, urgency, description, anonymous, contact_id, status)
                {numbers}
                SELECT {_reference("n")}, {moment}, {moment}, true,
                    CASE WHEN n % 3 = 0 THEN 'sms' ELSE 'ussd' END,
                    {_pick("(n / 7) % 4", list(LANGUAGES), sqlite)},
                    {_pick(f"(n * 31 / 11) % {len(TOPICS)}", list(TOPICS), sqlite)},
                    CASE WHEN n % 50 = 0 THEN NULL
                         ELSE {_pick(f"(n * 2654435761 % {len(communes)})", communes, sqlite)} END,
                    {_pick(f"(n / 5) % {len(URGENCIES)}", list(URGENCIES), sqlite)},
                    'Rapport de test', n % 4 = 0, NULL,
                    {_pick(f"(n * 13 / 7) % {len(STATUSES)}", list(STATUSES), sqlite)}
                {source}
                """
            ),
            {"reports": reports},
        )
    async with gateway.sessionmaker() as db, db.begin():
        # The triggers appended a move per report; the minute sweep would fold them in batches.
        while await fold_moves(db):
            pass
    await make_person(gateway, "organiser@bench.test", "organiser", None)
    await make_person(gateway, "member@bench.test", "committee", committee.id)


async def make_person(gateway: Gateway, login: str, role: str, committee_id: int | None) -> None:
    keys = TokenKeys(gateway.settings.require_secret_key())
    now = utcnow()
    async with gateway.sessionmaker() as db, db.begin():
        token = await invite(
            db, keys, name=login, role=role, committee_id=committee_id, now=now, ttl=timedelta(days=1)
        )
        invitation = await open_invitation(db, keys, token, now)
        assert invitation is not None
        await accept(db, Passwords(), invitation, login=login, password=PASSWORD, now=now)


async def analyze(gateway: Gateway, sqlite: bool) -> None:
    async with gateway.db_engine.connect() as connection:
        if sqlite:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
        else:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.execute("VACUUM ANALYZE")  # not in a transaction: asyncpg's own connection


async def signed_in(app: Any, login: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.bench")
    found = _CSRF.search((await client.get("/signin")).text)
    assert found
    answer = await client.post("/signin", data={"login": login, "password": PASSWORD, "csrf_token": found[1]})
    assert answer.status_code == 303, answer.text
    return client


@dataclass(frozen=True)
class Case:
    name: str
    who: str  # "organiser" or "member"
    path: str
    cold: bool = False  # the overview's counts cache emptied before each request


async def time_case(app: Any, client: httpx.AsyncClient, case: Case, requests: int) -> dict[str, Any]:
    def forget() -> None:
        if case.cold and hasattr(app.state, "overview_counts"):
            app.state.overview_counts = type(app.state.overview_counts)()

    for _ in range(WARM_UP):
        forget()
        answer = await client.get(case.path)
        assert answer.status_code == 200, (case, answer.status_code, answer.text[:500])
    timings = []
    size = 0
    for _ in range(requests):
        forget()
        started = time.perf_counter()
        answer = await client.get(case.path)
        timings.append(time.perf_counter() - started)
        assert answer.status_code == 200, (case, answer.status_code)
        size = len(answer.content)
    timings.sort()
    return {
        "case": case.name,
        "who": case.who,
        "path": case.path,
        "requests": requests,
        "p50_ms": _ms(timings, 0.50),
        "p95_ms": _ms(timings, 0.95),
        "max_ms": round(1000 * timings[-1], 1),
        "html_bytes": size,
    }


async def cases(gateway: Gateway) -> list[Case]:
    """The pages timed, with real ids and references of the filled database."""
    async with gateway.sessionmaker() as db:
        committee = (await db.execute(select(Committee.id).where(Committee.name == COMMITTEE))).scalar_one()
        own = sorted(
            (
                await db.execute(select(CommitteeArea.area_id).where(CommitteeArea.committee_id == committee))
            ).scalars()
        )
        elsewhere = (
            (await db.execute(select(Area.id).where(Area.level == 3, Area.id.not_in(own)).order_by(Area.id)))
            .scalars()
            .all()[7]
        )
        total = (await db.execute(select(func.count()).select_from(Report))).scalar_one()

        async def at_depth(depth: int, *where: Any) -> str:
            query = (
                select(Report.reference).where(*where).order_by(Report.created_at.desc(), Report.id.desc())
            )
            return str((await db.execute(query.offset(depth).limit(1))).scalar_one())

        deep = await at_depth(total // 10)  # 2,000 pages in for 1,000,000 reports
        deepest = await at_depth(total * 9 // 10)
        closed_deep = await at_depth(total // 20, Report.status == "closed")
        own_deep = await at_depth(total // 200, Report.area_id.in_(own))  # 10 % of the committee's
        own_report = await at_depth(total // 400, Report.area_id.in_(own))
        today = utcnow().date()
    week = f"from={(today - timedelta(days=35)).isoformat()}&to={(today - timedelta(days=29)).isoformat()}"
    organiser: list[tuple[str, str]] = [
        ("inbox", "/reports"),
        ("inbox, dates (one week, 5 weeks back)", f"/reports?{week}"),
        ("inbox, commune", f"/reports?area={elsewhere}"),
        ("inbox, topic", "/reports?topic=cross_border_trade"),
        ("inbox, status", "/reports?status=closed"),
        ("inbox, language", "/reports?language=mos"),
        ("inbox, channel", "/reports?channel=sms"),
        ("inbox, urgent", "/reports?urgent=1"),
        ("inbox, without place", "/reports?placeless=1"),
        (
            "inbox, every filter",
            f"/reports?{week}&area={elsewhere}&topic=other&status=new&language=fr&channel=ussd&urgent=1",
        ),
        ("inbox, page 2,000 (older than …)", f"/reports?after={deep}"),
        ("inbox, page 18,000 (older than …)", f"/reports?after={deepest}"),
        ("inbox, status, page 1,000", f"/reports?status=closed&after={closed_deep}"),
        ("report's page", f"/reports/{deep}"),
    ]
    member: list[tuple[str, str]] = [
        ("inbox", "/reports"),
        ("inbox, topic", "/reports?topic=cross_border_trade"),
        ("inbox, status and language", "/reports?status=closed&language=bm"),
        ("inbox, page 100 (older than …)", f"/reports?after={own_deep}"),
        ("report's page", f"/reports/{own_report}"),
    ]
    return [
        Case("overview, counts cached", "organiser", "/overview"),
        Case("overview, counts cached", "member", "/overview"),
        Case("overview, uncached", "organiser", "/overview", cold=True),
        Case("overview, uncached", "member", "/overview", cold=True),
        *(Case(name, "organiser", path) for name, path in organiser),
        *(Case(name, "member", path) for name, path in member),
    ]


async def time_inserts(gateway: Gateway, count: int) -> dict[str, Any]:
    """`count` reports, each in a transaction of its own as an SMS or a USSD session makes it; then
    deleted again, so a later run sees the same table."""
    made: list[int] = []
    async with gateway.sessionmaker() as db:
        area = (await db.execute(select(Area.id).where(Area.level == 3).order_by(Area.id))).scalars().first()
    timings = []
    for n in range(count):
        new = NewReport(
            channel="sms",
            language="fr",
            topic=TOPICS[n % len(TOPICS)],
            area_id=area,
            urgency=URGENCIES[n % len(URGENCIES)],
            description="Insertion de test",
            anonymous=True,
            contact_id=None,
        )
        started = time.perf_counter()
        async with gateway.sessionmaker() as db, db.begin():
            report = await create_report(db, new)
        timings.append(time.perf_counter() - started)
        made.append(report.id)
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(delete(Report).where(Report.id.in_(made)))
    timings.sort()
    return {
        "inserts": count,
        "per_second": round(count / sum(timings), 1),
        "p50_ms": _ms(timings, 0.50),
        "p95_ms": _ms(timings, 0.95),
    }


def _ms(timings: list[float], share: float) -> float:
    return round(1000 * timings[min(len(timings) - 1, int(share * len(timings)))], 1)


async def bench(
    args: argparse.Namespace, sqlite: bool, report: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    settings = load_settings(
        _env_file=None,
        secret_key=args.secret_key,
        database_url=args.database_url,
        log_level="WARNING",
        dispatch_in_process=False,
    )
    gateway = Gateway.build(settings)
    figures: dict[str, Any] = {"reports": args.reports, "communes": COMMUNES, "requests": args.requests}
    try:
        if not args.reuse:
            started = time.perf_counter()
            await build(gateway, args.reports, sqlite)
            await analyze(gateway, sqlite)
            figures["build_s"] = round(time.perf_counter() - started, 1)
        app = create_app(settings, gateway)
        clients = {who: await signed_in(app, f"{who}@bench.test") for who in ("organiser", "member")}
        figures["css_bytes"] = len((await clients["organiser"].get("/static/console.css")).content)
        figures["cases"] = []
        for case in await cases(gateway):
            if args.only and not re.search(args.only, f"{case.who} {case.name}"):
                continue
            requests = args.cold if case.cold else args.requests
            result = await time_case(app, clients[case.who], case, requests)
            result["load"] = round(os.getloadavg()[0], 2)
            figures["cases"].append(result)
            report(result)
        for client in clients.values():
            await client.aclose()
        if args.inserts:
            figures["insert"] = await time_inserts(gateway, args.inserts)
            figures["insert"]["load"] = round(os.getloadavg()[0], 2)
    finally:
        await gateway.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="an EMPTY PostgreSQL or SQLite test database")
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per case")
    parser.add_argument("--cold", type=int, default=20, help="timed requests of the uncached overview")
    parser.add_argument("--inserts", type=int, default=1000, help="reports created to time the insert path")
    parser.add_argument("--only", help="a regular expression: only the cases whose 'who name' it finds")
    parser.add_argument("--reuse", action="store_true", help="a database this benchmark filled before")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    # One key for the run; with --reuse the accounts made by an earlier run still sign in (the key
    # only signs sessions and invitations).
    args.secret_key = secrets.token_urlsafe(48)
    settings = load_settings(_env_file=None, database_url=args.database_url, secret_key=args.secret_key)
    sqlite = settings.is_sqlite
    upgrade(settings.database_url)
    args.database_url = settings.database_url

    def report(result: dict[str, Any]) -> None:
        print(
            f"{result['who']:>9} {result['case']:<38} p50 {result['p50_ms']:>7} ms  p95 {result['p95_ms']:>7} ms"
            f"  max {result['max_ms']:>7} ms  {result['html_bytes']:>6} B  load {result['load']}",
            flush=True,
        )

    figures = asyncio.run(bench(args, sqlite, report))
    figures.update(
        date=time.strftime("%Y-%m-%d"),
        database="sqlite" if sqlite else "postgresql",
        cpu_count=os.cpu_count(),
        python=platform.python_version(),
    )
    if "insert" in figures:
        print("insert path:", figures["insert"])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
