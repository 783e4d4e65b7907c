"""Console pages benchmark: how fast `/overview` answers over a large report table.

    .venv/bin/python benchmarks/console_pages.py --database-url postgresql+asyncpg://... \
        [--reports 1000000] [--requests 200] [--json FILE]

Fills an EMPTY PostgreSQL database (not timed): 200 communes (the seeded ones plus synthetic ones),
N reports spread over the last 12 weeks, across the communes (2 % without a place yet), the topics,
urgencies, statuses and the four languages, in one INSERT … SELECT over generate_series; a committee
covering 5 communes; an organiser and a member of that committee with console accounts. Then signs
both in through the real app (the ASGI app in process, over httpx, with its sessions, CSRF and
database) and times R requests of `/overview` for each, one after the other, after 5 not timed.
Prints p50/p95/max per person and the page's weight; then, 10 times each, the counting without
the page's 60-second cache of the weeks' counts (what the first load in a minute pays). Target (issue 13): p95 ≤ 300 ms on PostgreSQL
with 1,000,000 reports. Leaves its rows behind: drop the database after.
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
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, text  # noqa: E402

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
from gateway.reports.service import TOPICS, URGENCIES  # noqa: E402
from gateway.reports.stats import overview  # noqa: E402
from gateway.wiring import Gateway  # noqa: E402

COMMUNES = 200
COMMITTEE_COMMUNES = 5
WARM_UP = 5
COLD = 10
PASSWORD = "benchmark password 2026"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
STATUSES = ("new", "new", "forwarded", "acknowledged", "closed")


def _array(values: list[str] | list[int]) -> str:
    # Literals of our own making (ids, fixed codes): no user input reaches this text.
    return "ARRAY[" + ",".join(repr(v) if isinstance(v, str) else str(v) for v in values) + "]"


async def build(gateway: Gateway, reports: int) -> int:
    """The communes, N reports and the committee; returns the committee's id."""
    async with gateway.sessionmaker() as db, db.begin():
        if (await db.execute(select(func.count()).select_from(Report))).scalar_one():
            raise SystemExit("the database already holds reports: give an EMPTY test database")
    await add_test_communes(gateway, COMMUNES)
    async with gateway.sessionmaker() as db, db.begin():
        communes = sorted((await db.execute(select(Area.id).where(Area.level == 3))).scalars())
        committee = Committee(
            name="Comité benchmark",
            schedule="weekly mon 08:00",
            timezone="Africa/Bamako",
            next_digest_at=utcnow(),
        )
        db.add(committee)
        await db.flush()
        for area_id in communes[:: len(communes) // COMMITTEE_COMMUNES][:COMMITTEE_COMMUNES]:
            db.add(CommitteeArea(committee_id=committee.id, area_id=area_id))
        # Spread by arithmetic on n, not random(): the same rows on every run. 84 days back, each
        # moment a different second of its day; every 50th report without a place yet.
        moment = "now() - (n % 84) * interval '1 day' - (n * 7919 % 86400) * interval '1 second'"
        await db.execute(
            text(
                f"""
                INSERT INTO reports (reference, created_at, placed_at, place_confirmed, channel, language,
                    topic, area_id, urgency, description, anonymous, contact_id, status)
                SELECT 'B-' || lpad(n::text, 7, '0'), {moment}, {moment}, true,
                    CASE WHEN n % 3 = 0 THEN 'sms' ELSE 'ussd' END,
                    ({_array(["fr", "bm", "dyu", "mos"])})[1 + (n / 7) % 4],
                    ({_array(list(TOPICS))})[1 + (n * 31 / 11) % {len(TOPICS)}],
                    CASE WHEN n % 50 = 0 THEN NULL
                         ELSE ({_array(communes)})[1 + (n * 2654435761 % {len(communes)})] END,
                    ({_array(list(URGENCIES))})[1 + (n / 5) % {len(URGENCIES)}],
                    'Rapport de test', n % 4 = 0, NULL,
                    ({_array(list(STATUSES))})[1 + (n * 13 / 7) % {len(STATUSES)}]
                FROM generate_series(1::bigint, :reports) AS n
                """
            ),
            {"reports": reports},
        )
    return committee.id


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


async def signed_in(app: Any, login: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.bench")
    found = _CSRF.search((await client.get("/signin")).text)
    assert found
    answer = await client.post("/signin", data={"login": login, "password": PASSWORD, "csrf_token": found[1]})
    assert answer.status_code == 303, answer.text
    return client


async def time_page(client: httpx.AsyncClient, path: str, requests: int) -> tuple[list[float], int]:
    for _ in range(WARM_UP):
        assert (await client.get(path)).status_code == 200
    timings = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        answer = await client.get(path)
        timings.append(time.perf_counter() - started)
        assert answer.status_code == 200
        size = len(answer.content)
    return sorted(timings), size


async def time_cold(gateway: Gateway, communes: set[int] | None) -> list[float]:
    """The overview's counting without the page's cache: what the first load in a minute costs."""
    timings = []
    for _ in range(COLD):
        started = time.perf_counter()
        async with gateway.sessionmaker() as db:
            await overview(db, communes, utcnow())
        timings.append(time.perf_counter() - started)
    return sorted(timings)


def _ms(timings: list[float], share: float) -> float:
    return round(1000 * timings[min(len(timings) - 1, int(share * len(timings)))], 1)


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    settings = load_settings(
        _env_file=None,
        secret_key=secrets.token_urlsafe(48),
        database_url=args.database_url,
        log_level="WARNING",
        dispatch_in_process=False,
    )
    gateway = Gateway.build(settings)
    figures: dict[str, Any] = {"reports": args.reports, "communes": COMMUNES, "requests": args.requests}
    try:
        started = time.perf_counter()
        committee_id = await build(gateway, args.reports)
        await make_person(gateway, "organiser@bench.test", "organiser", None)
        await make_person(gateway, "member@bench.test", "committee", committee_id)
        async with gateway.db_engine.connect() as connection:
            await (await connection.get_raw_connection()).driver_connection.execute("VACUUM ANALYZE")
        figures["build_s"] = round(time.perf_counter() - started, 1)
        app = create_app(settings, gateway)
        css = len((await (await signed_in(app, "organiser@bench.test")).get("/static/console.css")).content)
        for who in ("organiser", "member"):
            client = await signed_in(app, f"{who}@bench.test")
            timings, size = await time_page(client, "/overview", args.requests)
            await client.aclose()
            figures[f"{who}_p50_ms"] = _ms(timings, 0.50)
            figures[f"{who}_p95_ms"] = _ms(timings, 0.95)
            figures[f"{who}_max_ms"] = round(1000 * timings[-1], 1)
            figures[f"{who}_html_bytes"] = size
        figures["css_bytes"] = css
        async with gateway.sessionmaker() as db:
            areas = set((await db.execute(select(CommitteeArea.area_id))).scalars())
        for who, communes in (("organiser", None), ("member", areas)):
            cold = await time_cold(gateway, communes)
            figures[f"{who}_uncached_counts_p50_ms"] = _ms(cold, 0.50)
            figures[f"{who}_uncached_counts_max_ms"] = round(1000 * cold[-1], 1)
    finally:
        await gateway.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="an EMPTY PostgreSQL test database")
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be PostgreSQL (the fill uses generate_series)")
    upgrade(args.database_url)
    figures = asyncio.run(bench(args))
    figures.update(date=time.strftime("%Y-%m-%d"), cpu_count=os.cpu_count(), python=platform.python_version())
    for key, value in figures.items():
        print(f"{key:>34}: {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
