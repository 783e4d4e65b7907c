"""Broadcast benchmark: a notice to N subscribers (four languages) expanded to the outbox while the
admin API is being read.

    .venv/bin/python benchmarks/broadcast_expansion.py [--subscribers 100000] [--database-url URL]

Builds N contacts subscribed to 40 communes, and 20,000 reports (not timed). Starts the real server
(`gateway serve`, one worker, dispatcher off) and, while one expander in this process turns the
notice into outbox rows batch by batch, reads GET /api/v1/reports?limit=20 over and over from 4
concurrent clients. Reports the expansion time and the API latency during it. Targets (PostgreSQL):
expansion ≤ 15 s for 100,000, API p99 ≤ 200 ms. With --database-url the database must be an empty
test database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from benchmarks.load.processes import Server, start_server, stop_servers  # noqa: E402
from gateway.accounts.tokens import create_token  # noqa: E402
from gateway.areas.models import Area  # noqa: E402
from gateway.broadcasts.lifecycle import schedule  # noqa: E402
from gateway.broadcasts.meetings import create_meeting  # noqa: E402
from gateway.broadcasts.models import BroadcastArea, Subscription  # noqa: E402
from gateway.broadcasts.service import create_broadcast  # noqa: E402
from gateway.config import load_settings  # noqa: E402
from gateway.contacts.models import Contact  # noqa: E402
from gateway.db.base import utcnow  # noqa: E402
from gateway.db.migrate import upgrade  # noqa: E402
from gateway.outbox.models import OutboundMessage  # noqa: E402
from gateway.reports.models import Report  # noqa: E402
from gateway.wiring import Gateway  # noqa: E402

LANGUAGES = ("fr", "bm", "dyu", "mos")
BATCH = 10_000


async def build(gateway: Gateway, subscribers: int, rng: random.Random) -> tuple[int, list[str]]:
    async with gateway.sessionmaker() as db:
        communes = list((await db.execute(select(Area).where(Area.level == 3).order_by(Area.id))).scalars())[
            :40
        ]
    token = gateway.vault.encrypt("+22370000000")  # the same ciphertext for all: encryption is not measured
    now = utcnow()
    for first in range(0, subscribers, BATCH):
        rows = range(first, min(first + BATCH, subscribers))
        async with gateway.sessionmaker() as db, db.begin():
            ids = (
                (
                    await db.execute(
                        insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
                        [
                            {
                                "phone_hash": f"bench{n:012d}",
                                "phone_encrypted": token,
                                "language": LANGUAGES[n % 4],
                                "created_at": now,
                                "updated_at": now,
                            }
                            for n in rows
                        ],
                    )
                )
                .scalars()
                .all()
            )
            await db.execute(
                insert(Subscription),
                [
                    {
                        "contact_id": contact_id,
                        "area_id": communes[n % len(communes)].id,
                        "channel": "sms",
                        "created_at": now,
                    }
                    for n, contact_id in zip(rows, ids, strict=True)
                ],
            )
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(
            insert(Report),
            [
                {
                    "reference": f"B-{n:07d}",
                    "created_at": now - timedelta(minutes=n),
                    "channel": "sms",
                    "language": "fr",
                    "topic": "other",
                    "area_id": rng.choice(communes).id,
                    "urgency": "information",
                    "description": "Rapport de test",
                    "anonymous": True,
                    "contact_id": None,
                    "status": "new",
                }
                for n in range(20_000)
            ],
        )
        meeting = await create_meeting(
            db,
            title={"fr": "Forum frontalier", "bm": "Dancɛ lajɛ", "dyu": "Dancɛ lajɛ", "mos": "Tẽns lagma"},
            place="Mairie de Zégoua",
            area=None,
            starts_at=now + timedelta(days=3),
            timezone="Africa/Bamako",
            agenda={"fr": "Sécurité du marché."},
        )
        broadcast = await create_broadcast(
            db, kind="notice", areas=[f"commune:{communes[0].name}"], send_at=None, meeting=meeting
        )
        # The other 39 communes by id (a name may be used twice across the border).
        for commune in communes[1:]:
            db.add(BroadcastArea(broadcast_id=broadcast.id, area_id=commune.id))
        await schedule(db, broadcast, gateway.texts)
        viewer = await create_token(db, "benchmark viewer", "viewer")
        return broadcast.id, [viewer]


async def read_api(base: str, token: str, stop: asyncio.Event, latencies: list[float]) -> None:
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = await client.get("/api/v1/reports", params={"limit": 20})
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"API answered {response.status_code}: {response.text[:200]}")


async def bench(args: argparse.Namespace, database_url: str, secret: str, workdir: Path) -> dict[str, object]:
    settings = load_settings(
        _env_file=None, secret_key=secret, database_url=database_url, log_level="WARNING"
    )
    gateway = Gateway.build(settings)
    server: Server | None = None
    try:
        started = time.perf_counter()
        broadcast_id, [token] = await build(gateway, args.subscribers, random.Random(1124))
        build_s = time.perf_counter() - started
        env = {
            **os.environ,
            "GATEWAY_DATABASE_URL": database_url,
            "GATEWAY_SECRET_KEY": secret,
            "GATEWAY_LOG_LEVEL": "WARNING",
            "GATEWAY_DISPATCH_IN_PROCESS": "false",
            # `serve` refuses PostgreSQL without one; no callback is made here.
            "GATEWAY_CALLBACK_TOKEN": secrets.token_urlsafe(24),
        }
        server = start_server("gateway", lambda port: ["serve", "--port", str(port)], env, workdir)
        base = server.base_url
        idle: list[float] = []
        stop = asyncio.Event()
        warm = asyncio.create_task(read_api(base, token, stop, idle))
        await asyncio.sleep(3)
        stop.set()
        await warm
        busy: list[float] = []
        stop = asyncio.Event()
        readers = [asyncio.create_task(read_api(base, token, stop, busy)) for _ in range(4)]
        started = time.perf_counter()
        await gateway.expander.expand_all()
        expand_s = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*readers)
        async with gateway.sessionmaker() as db:
            queued = (await db.execute(select(func.count()).select_from(OutboundMessage))).scalar_one()
    finally:
        if server is not None:
            stop_servers([server])
        await gateway.close()

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {
        "subscribers": args.subscribers,
        "build_s": round(build_s, 1),
        "expansion_s": round(expand_s, 2),
        "messages_queued": queued,
        "messages_per_s": round(queued / expand_s),
        "api_requests_during": len(busy),
        "api_p50_ms_during": pct(busy, 0.5),
        "api_p99_ms_during": pct(busy, 0.99),
        "api_p99_ms_idle": pct(idle, 0.99),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--database-url", help="an EMPTY test database; default: fresh SQLite in a temp dir")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    upgrade(database_url)
    figures = asyncio.run(bench(args, database_url, "benchmark-" + secrets.token_urlsafe(32), workdir))
    figures.update(
        date=time.strftime("%Y-%m-%d"),
        database=database_url.split("+")[0],
        cpu_count=os.cpu_count(),
        python=platform.python_version(),
    )
    for key, value in figures.items():
        print(f"{key:>22}: {value}")
    return 0 if figures["messages_queued"] == args.subscribers else 1


if __name__ == "__main__":
    sys.exit(main())
