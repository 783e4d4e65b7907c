"""Outbox benchmark: enqueue N notices, then dispatch them through the real Africa's Talking SDK
to the fake AT server (tests/fakes/at_server.py, its own process on 127.0.0.1).

    .venv/bin/python benchmarks/outbox_dispatch.py [--messages N] [--rate R] [--database-url URL] [--json FILE]

Reports the enqueue time, dispatch throughput (messages/s and provider requests/s) and the peak
memory of this process (the dispatcher; the fake server runs apart). With --database-url the
database must be an empty test database; it is migrated and left with N messages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from gateway.channels.africastalking.sms_client import AfricasTalkingSms  # noqa: E402
from gateway.config import load_settings  # noqa: E402
from gateway.db.migrate import upgrade  # noqa: E402
from gateway.outbox.models import OutboundMessage  # noqa: E402
from gateway.wiring import Gateway  # noqa: E402

NOTICE = {
    "fr": "Forum frontalier: réunion du comité de suivi samedi 9h à la mairie de Zégoua.",
    "bm": "Dancɛ lajɛ: komite ka ɲɔgɔnye bɛ kɛ sibiri sɔgɔma 9h Zégoua meri la.",
    "dyu": "Dancɛ lajɛ: komite ka ɲɔgɔnye bɛna kɛ sibiri sɔgɔma 9h Zégoua meri la.",
    "mos": "Tẽns tõnd sull lagem-n-taoore: sibri 9h Zégoua meri.",
}
BATCH = 2000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start_fake() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.at_server"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    if not base_url.startswith("http://127.0.0.1:"):
        process.kill()
        raise RuntimeError("the fake Africa's Talking server did not start")
    return process, base_url


def fake_stats(base_url: str) -> dict[str, int]:
    with urllib.request.urlopen(base_url.replace("/version1", "/_stats"), timeout=10) as response:
        stats: dict[str, int] = json.loads(response.read())
        return stats


async def bench(args: argparse.Namespace, base_url: str, database_url: str) -> dict[str, Any]:
    settings = load_settings(
        _env_file=None,
        secret_key="benchmark-key-" + "x" * 40,
        database_url=database_url,
        sms_rate_per_s=args.rate,
        sms_batch_size=args.recipients_per_request,
        log_level="WARNING",
    )
    gateway = Gateway.build(settings)
    provider = AfricasTalkingSms("sandbox", "test-api-key", base_url, None)
    languages = list(NOTICE)
    try:
        started = time.perf_counter()
        for first in range(0, args.messages, BATCH):
            async with gateway.sessionmaker() as db, db.begin():
                for n in range(first, min(first + BATCH, args.messages)):
                    language = languages[n % 4]
                    phone = f"+223{70000000 + n:08d}" if n % 2 else f"+226{70000000 + n:08d}"
                    await gateway.outbox.enqueue(
                        db, phone=phone, text=NOTICE[language], language=language, kind="notice"
                    )
        enqueue_s = time.perf_counter() - started
        rss_after_enqueue = peak_rss_mb()

        from gateway.outbox.dispatcher import Dispatcher

        dispatcher = Dispatcher(gateway.sessionmaker, provider, gateway.vault, settings, "bench")
        before = fake_stats(base_url)
        started = time.perf_counter()
        handled = 0
        while True:
            done = await dispatcher.dispatch_once()
            if not done:
                break
            handled += done
        dispatch_s = time.perf_counter() - started
        after = fake_stats(base_url)
        async with gateway.sessionmaker() as db:
            statuses = {
                row[0]: row[1]
                for row in await db.execute(
                    select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
                )
            }
    finally:
        await gateway.close()
    requests = after["requests"] - before["requests"]
    recipients = after["recipients"] - before["recipients"]
    return {
        "messages": args.messages,
        "enqueue_s": round(enqueue_s, 2),
        "enqueue_per_s": round(args.messages / enqueue_s),
        "dispatch_s": round(dispatch_s, 2),
        "messages_per_s": round(handled / dispatch_s),
        "provider_requests": requests,
        "provider_requests_per_s": round(requests / dispatch_s, 1),
        "recipients_received": recipients,
        "statuses": statuses,
        "peak_rss_mb_after_enqueue": round(rss_after_enqueue, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s limit (0: none)")
    parser.add_argument("--recipients-per-request", type=int, default=100)
    parser.add_argument("--database-url", help="an EMPTY test database; default: fresh SQLite in a temp dir")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    upgrade(database_url)
    fake, base_url = start_fake()
    try:
        figures = asyncio.run(bench(args, base_url, database_url))
    finally:
        if fake.stdin:
            fake.stdin.close()
        fake.wait(10)
    figures.update(
        date=time.strftime("%Y-%m-%d"),
        database=database_url.split("+")[0],
        rate_limit=args.rate,
        cpu_count=os.cpu_count(),
        python=platform.python_version(),
    )
    for key, value in figures.items():
        print(f"{key:>28}: {value}")
    ok = figures["recipients_received"] == args.messages and figures["statuses"] == {"sent": args.messages}
    print("every message sent exactly once: " + ("yes" if ok else "NO"))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
