"""Committee summary benchmark: every committee's summary over a large report table.

    .venv/bin/python benchmarks/committee_summaries.py [--reports 1000000] [--database-url URL]
        [--separately] [--json FILE]

Builds (once per run, not timed) 200 communes (the 140 seeded ones plus synthetic ones), 50
committees each covering a random mix of communes and cercles/provinces, and N reports spread over
60 days; then times computing and rendering every committee's weekly summary, the way the
scheduler's pass does it: the reports counted once for all the due committees sharing a period
(DigestScheduler.count_due), then each committee's summary put together from its communes' counts
and rendered, one after the other. With --separately each committee is counted by itself, as when
no two due committees share a period (or for `gateway digest run --committee`). Target: ≤ 2 s in
total on PostgreSQL and ≤ 5 s on SQLite for 1,000,000 reports. With --database-url the database
must be an empty test database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert, select  # noqa: E402

from benchmarks.load.database import add_test_communes  # noqa: E402
from gateway.areas.models import Area  # noqa: E402
from gateway.committees.models import Committee, CommitteeArea  # noqa: E402
from gateway.committees.summary import render_summary  # noqa: E402
from gateway.config import load_settings  # noqa: E402
from gateway.db.base import utcnow  # noqa: E402
from gateway.db.migrate import upgrade  # noqa: E402
from gateway.reports.models import Report  # noqa: E402
from gateway.reports.service import TOPICS, URGENCIES  # noqa: E402
from gateway.wiring import Gateway  # noqa: E402

COMMUNES = 200
COMMITTEES = 50
BATCH = 20_000


async def build(gateway: Gateway, reports: int, rng: random.Random) -> None:
    await add_test_communes(gateway, COMMUNES)
    async with gateway.sessionmaker() as db, db.begin():
        provinces = list((await db.execute(select(Area).where(Area.level == 2))).scalars())
        communes = list((await db.execute(select(Area.id).where(Area.level == 3))).scalars())
        provinces_ids = [p.id for p in provinces]
        now = utcnow()
        for c in range(COMMITTEES):
            committee = Committee(
                name=f"Comité {c:02d}",
                schedule="weekly mon 08:00",
                timezone="Africa/Bamako",
                next_digest_at=now,
            )
            db.add(committee)
            await db.flush()
            chosen = set(rng.sample(communes, rng.randint(3, 8)))
            if c % 5 == 0:
                chosen.add(rng.choice(provinces_ids))  # some committees cover a whole cercle/province
            for area_id in chosen:
                db.add(CommitteeArea(committee_id=committee.id, area_id=area_id))
    now = utcnow()
    for first in range(0, reports, BATCH):
        moments = [
            now - timedelta(seconds=rng.randint(0, 60 * 86400))
            for _ in range(first, min(first + BATCH, reports))
        ]
        rows = [
            {
                "reference": f"B-{n:07d}",
                "created_at": moments[n - first],
                "placed_at": moments[n - first],
                "place_confirmed": True,
                "channel": "ussd" if n % 3 else "sms",
                "language": ("fr", "bm", "dyu", "mos")[n % 4],
                "topic": rng.choice(TOPICS),
                "area_id": rng.choice(communes),
                "urgency": rng.choice(URGENCIES),
                "description": "Rapport de test",
                "anonymous": n % 4 == 0,
                "contact_id": None,
                "status": rng.choice(("new", "new", "forwarded", "acknowledged", "closed")),
            }
            for n in range(first, min(first + BATCH, reports))
        ]
        async with gateway.sessionmaker() as db, db.begin():
            await db.execute(insert(Report), rows)


async def bench(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    settings = load_settings(
        _env_file=None, secret_key=secrets.token_urlsafe(48), database_url=database_url, log_level="WARNING"
    )
    gateway = Gateway.build(settings)
    rng = random.Random(20261124)
    try:
        started = time.perf_counter()
        await build(gateway, args.reports, rng)
        build_s = time.perf_counter() - started
        if database_url.startswith("postgresql"):
            async with gateway.db_engine.connect() as connection:
                await (await connection.get_raw_connection()).driver_connection.execute("ANALYZE")
        # Every committee is due (next_digest_at is the build time) and has no summary yet, so each
        # period is the week up to `end`, as in the scheduler's pass at `end`.
        end = utcnow()
        timings = []
        totals = 0
        async with gateway.sessionmaker() as db:
            await gateway.directory.get(db)
            committees = list((await db.execute(select(Committee).order_by(Committee.id))).scalars())
        tr = gateway.engine.catalogs.translator("fr")
        all_started = time.perf_counter()
        # In a session of its own, as in the scheduler (SQLite has one pooled connection).
        counted = [] if args.separately else await gateway.scheduler.count_due(end)
        count_s = time.perf_counter() - all_started
        async with gateway.sessionmaker() as db:
            for committee in committees:
                one = time.perf_counter()
                summary, _ = await gateway.scheduler.summary_of(db, committee, end, counted)
                render_summary(summary, tr, "fr", settings.locales_dir)
                totals += summary.total
                timings.append(time.perf_counter() - one)
            total_s = time.perf_counter() - all_started
            assert summary.start == end - timedelta(days=7)
            sample = render_summary(summary, tr, "fr", settings.locales_dir)
    finally:
        await gateway.close()
    timings.sort()
    return {
        "reports": args.reports,
        "communes": COMMUNES,
        "committees": len(timings),
        "counted": "separately" if args.separately else "once per shared period",
        "build_s": round(build_s, 1),
        "all_summaries_s": round(total_s, 3),
        "shared_count_s": round(count_s, 3),
        "per_committee_ms_p50": round(1000 * timings[len(timings) // 2], 1),
        "per_committee_ms_max": round(1000 * timings[-1], 1),
        "reports_in_summaries": totals,
        "sample_summary": sample,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="an EMPTY test database; default: fresh SQLite in a temp dir")
    parser.add_argument(
        "--separately", action="store_true", help="count each committee's reports by itself (no shared pass)"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="summary-bench-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    upgrade(database_url)
    figures = asyncio.run(bench(args, database_url))
    figures.update(
        date=time.strftime("%Y-%m-%d"),
        database=database_url.split("+")[0],
        cpu_count=os.cpu_count(),
        python=platform.python_version(),
    )
    for key, value in figures.items():
        print(f"{key:>22}: {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
