"""Outbox benchmark: enqueue N notices, then dispatch them through the real Africa's Talking SDK
to the fake AT server (tests/fakes/at_server.py, its own process on 127.0.0.1).

    .venv/bin/python benchmarks/outbox_dispatch.py [--messages N] [--rate R] [--database-url URL]
        [--workers W] [--json FILE]

Reports the enqueue time, dispatch throughput (messages/s and provider requests/s) and the peak
memory of the dispatcher (the fake server runs apart). By default the dispatcher runs in this
process; with --workers W (PostgreSQL), W real `gateway worker` processes share the queue: the
messages are enqueued not yet due, the workers started and waited for, then every message is made
due in one statement and the clock runs until all are sent. With --database-url the database must
be an empty test database; it is migrated and left with N messages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, update  # noqa: E402

from benchmarks.load.processes import Server, log_tail, start_server, stop_servers  # noqa: E402
from benchmarks.load.stats import cpu_seconds  # noqa: E402
from gateway.channels.africastalking.sms_client import AfricasTalkingSms  # noqa: E402
from gateway.config import Settings, load_settings  # noqa: E402
from gateway.db.base import utcnow  # noqa: E402
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


def start_fake(latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.at_server", "--latency-ms", str(latency_ms)],
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


async def bench(
    args: argparse.Namespace, base_url: str, database_url: str, fake_pid: int, workdir: Path
) -> dict[str, Any]:
    settings = load_settings(
        _env_file=None,
        secret_key=secrets.token_urlsafe(48),
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
        if args.workers:  # worker processes find nothing due until they are all up
            async with gateway.sessionmaker() as db, db.begin():
                later = utcnow() + timedelta(hours=1)
                await db.execute(update(OutboundMessage).values(next_attempt_at=later))
        rss_after_enqueue = peak_rss_mb()
        before = fake_stats(base_url)
        if args.workers:
            dispatch_s, workers = await dispatch_with_workers(args, gateway, base_url, fake_pid, workdir)
        else:
            dispatch_s = await dispatch_in_this_process(gateway, provider, settings)
            workers = {}
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
        "messages_per_s": round(args.messages / dispatch_s),
        "provider_requests": requests,
        "provider_requests_per_s": round(requests / dispatch_s, 1),
        "recipients_received": recipients,
        "statuses": statuses,
        "peak_rss_mb_after_enqueue": round(rss_after_enqueue, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        **workers,
    }


async def dispatch_in_this_process(
    gateway: Gateway, provider: AfricasTalkingSms, settings: Settings
) -> float:
    from gateway.outbox.dispatcher import Dispatcher

    dispatcher = Dispatcher(gateway.sessionmaker, provider, gateway.vault, settings, "bench")
    started = time.perf_counter()
    while await dispatcher.dispatch_once():
        pass
    return time.perf_counter() - started


def proc_cpu_s(pid: int) -> float:
    return cpu_seconds(pid) or 0.0


def machine_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


def proc_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def dispatch_with_workers(
    args: argparse.Namespace, gateway: Gateway, base_url: str, fake_pid: int, workdir: Path
) -> tuple[float, dict[str, Any]]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "GATEWAY_DATABASE_URL": gateway.settings.database_url,
        "GATEWAY_SECRET_KEY": gateway.settings.secret_key or "",
        "GATEWAY_PROVIDER": "africastalking",
        "GATEWAY_AT_API_KEY": "test-api-key",
        "GATEWAY_AT_API_URL": base_url,
        "GATEWAY_SMS_RATE_PER_S": str(args.rate / args.workers),
        "GATEWAY_SMS_BATCH_SIZE": str(args.recipients_per_request),
        "GATEWAY_DISPATCH_POLL_S": "0.2",
        "GATEWAY_LOG_LEVEL": "WARNING",
    }
    servers: list[Server] = []
    try:
        for n in range(args.workers):  # each worker up before the clock
            servers.append(
                start_server(
                    f"worker-{n + 1}",
                    lambda port: ["worker", "--metrics-port", str(port)],
                    env,
                    workdir,
                    "/metrics",
                )
            )
        processes = [server.process for server in servers]
        await asyncio.sleep(1.0)  # past the metrics port: the wiring is built, the loop polling
        cpu_before = [proc_cpu_s(p.pid) for p in processes]
        fake_before, machine_before = proc_cpu_s(fake_pid), machine_busy_s()
        started = time.perf_counter()
        async with gateway.sessionmaker() as db, db.begin():
            await db.execute(update(OutboundMessage).values(next_attempt_at=utcnow()))
        while True:
            async with gateway.sessionmaker() as db:
                left = (
                    await db.execute(
                        select(func.count()).where(OutboundMessage.status.in_(("queued", "sending")))
                    )
                ).scalar_one()
            if not left:
                break
            await asyncio.sleep(0.05)
        dispatch_s = time.perf_counter() - started
        cpu = [proc_cpu_s(p.pid) - b for p, b in zip(processes, cpu_before, strict=True)]
        fake_cpu = proc_cpu_s(fake_pid) - fake_before
        busy, total = (a - b for a, b in zip(machine_busy_s(), machine_before, strict=True))
        rss = [proc_peak_rss_mb(p.pid) for p in processes]
    finally:
        stop_servers(servers, 30)
        for server in servers:  # what the workers warned about, which no longer reaches the console
            if server.log_path.stat().st_size:
                print(f"--- end of the {server.name} log ---\n{log_tail(server.log_path)}", file=sys.stderr)
    return dispatch_s, {
        "workers": args.workers,
        "worker_cpu_share_of_one_core": [round(c / dispatch_s, 2) for c in cpu],
        "worker_peak_rss_mb": [round(r, 1) for r in rss],
        "fake_provider_cpu_share_of_one_core": round(fake_cpu / dispatch_s, 2),
        "machine_cpu_busy_share": round(busy / total, 2),  # of all cores; PostgreSQL is the rest
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s limit (0: none)")
    parser.add_argument("--recipients-per-request", type=int, default=100)
    parser.add_argument("--database-url", help="an EMPTY test database; default: fresh SQLite in a temp dir")
    parser.add_argument(
        "--provider-latency-ms", type=float, default=0.0, help="the fake provider answers after this long"
    )
    parser.add_argument("--workers", type=int, default=0, help="gateway worker processes (0: in this one)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.workers and not (args.database_url or "").startswith("postgres"):
        parser.error("--workers needs --database-url on PostgreSQL (SQLite has one writer)")
    workdir = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    upgrade(database_url)
    fake, base_url = start_fake(args.provider_latency_ms)
    try:
        figures = asyncio.run(bench(args, base_url, database_url, fake.pid, workdir))
    finally:
        if fake.stdin:
            fake.stdin.close()
        fake.wait(10)
    figures.update(
        date=time.strftime("%Y-%m-%d"),
        database=database_url.split("+")[0],
        rate_limit=args.rate,
        provider_latency_ms=args.provider_latency_ms,
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
