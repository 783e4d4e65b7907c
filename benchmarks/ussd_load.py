"""USSD load benchmark: the real gateway against a bare FastAPI endpoint, measured in the same run.

Starts `gateway serve` (one uvicorn worker, a fresh SQLite database in a temporary directory unless
--database-url is given) and a bare FastAPI app that only reads the form and answers "END ok", both as
subprocesses on 127.0.0.1. Then drives each with C concurrent workers, one keep-alive connection each:
on the gateway, full 11-hop French report sessions until N sessions are done; on the bare endpoint,
N x 11 requests. The machine is shared and noisy, so the gateway figures are read against the bare
baseline measured moments before in the same run, not against figures from another day.

    .venv/bin/python benchmarks/ussd_load.py [--sessions N] [--concurrency C] [--database-url URL]
        [--client raw|httpx] [--json FILE]

The default load generator speaks HTTP/1.1 on raw asyncio streams, because an httpx.AsyncClient costs
more CPU per request than the bare server does (see RawConnection); --client httpx is kept to compare.

With --database-url the database must be an empty test database: migrations are applied to it and
the benchmark leaves N reports (and contacts, sessions) behind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script, which puts only benchmarks/ on the path

from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.load.client import (  # noqa: E402
    HOPS_PER_SESSION,
    Job,
    Phones,
    bare_job,
    floor_job,
    report_session_job,
    run_jobs,
    ussd_path,
)
from benchmarks.load.connection import poster_factory  # noqa: E402
from benchmarks.load.database import add_history, prepare_database  # noqa: E402
from benchmarks.load.processes import (  # noqa: E402
    HOST,
    Server,
    child_env,
    floor_program,
    log_tail,
    start_server,
    stop_servers,
    stub_program,
)
from benchmarks.load.stats import Stats, Summary, percentile, summarise  # noqa: E402

WARMUP_SESSIONS = 10
WARMUP_BARE_REQUESTS = 200
# Issue 15's targets: at 50 callers firing hops back to back, a third of the bare endpoint's
# throughput and p99 within 60 ms; with callers who pause between hops as people do, p99 within 15 ms.
TARGET_RATIO = 0.35
TARGET_P99_MS = 60.0
TARGET_P99_THINKING_MS = 15.0
TARGET_CONCURRENCY = 50
# A few weeks of a busy gateway's sessions (database.add_history says why any at all).
DEFAULT_HISTORY = 20_000


async def bench(
    server: Server,
    kind: str,
    total: int,
    concurrency: int,
    warmup: int,
    job: Job,
    database: str | None = None,
) -> Stats:
    """A warm-up (not measured, but every answer checked), then the measured run."""
    async with poster_factory(kind, server.base_url, concurrency) as make_poster:
        warm = Stats(name=f"{server.name} warm-up")
        await run_jobs(make_poster, warmup, concurrency, job, warm, server.process.pid)
        if warm.error_count:
            raise RuntimeError(f"{server.name} failed during the warm-up: " + "; ".join(warm.errors))
        stats = Stats(name=server.name)
        await run_jobs(make_poster, total, concurrency, job, stats, server.process.pid, database)
    return stats


def print_report(
    gateway: Summary,
    bare: Summary,
    floor: Summary | None,
    sessions_done: int,
    args: argparse.Namespace,
    database_kind: str,
    machine: dict[str, Any],
) -> dict[str, Any]:
    ratio = gateway.per_s / bare.per_s if bare.per_s else 0.0
    ratio_met = ratio >= TARGET_RATIO
    p99_target = TARGET_P99_THINKING_MS if args.think_ms else TARGET_P99_MS
    p99_met = gateway.p99_ms <= p99_target
    print()
    print(
        f"machine: {machine['cpu_count']} CPUs, Python {machine['python']} ({machine['implementation']}), "
        f"{machine['platform']}; load average before the run {machine['loadavg_before']}"
    )
    print(
        f"database: {database_kind}; {args.sessions} sessions x {HOPS_PER_SESSION} hops, "
        f"concurrency {args.concurrency}, {args.client} client; {args.history} ended sessions before; "
        "one uvicorn worker per server; "
        "the load generator shares the CPUs with the servers"
    )
    print()
    header = (
        f"{'server':<8} {'requests':>8} {'errors':>6} {'wall s':>7} {'req/s':>7} {'p50 ms':>7} "
        f"{'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'srv CPU':>7} {'gen CPU':>7} {'db CPU':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in (gateway, bare) + ((floor,) if floor else ()):
        print(
            f"{row.name:<8} {row.requests:>8} {row.errors:>6} {row.wall_s:>7.2f} {row.per_s:>7.1f} "
            f"{row.p50_ms:>7.1f} {row.p90_ms:>7.1f} {row.p99_ms:>7.1f} {row.max_ms:>7.1f} "
            f"{_show_pct(row.server_cpu_pct):>7} {_show_pct(row.client_cpu_pct):>7} "
            f"{_show_pct(row.database_cpu_pct):>7}"
        )
    print(
        "(req/s for the gateway = USSD hops/s; CPU = share of one core used by the server / load "
        "generator / PostgreSQL's processes for this database and its WAL writer, checkpointer...)"
    )
    if gateway.per_s:
        shares = [("gateway", gateway.server_cpu_pct), ("generator", gateway.client_cpu_pct)]
        shares.append(("PostgreSQL", gateway.database_cpu_pct))
        spent = ", ".join(f"{name} {10 * pct / gateway.per_s:.2f}" for name, pct in shares if pct is not None)
        print(f"CPU ms per gateway hop: {spent}")
    print()
    print(f"gateway sessions completed: {sessions_done}/{args.sessions}")
    print(f"ratio gateway hops/s / bare req/s: {ratio:.3f}")
    if floor is not None and bare.per_s:
        print(
            f"ratio floor (one durable write a request) / bare: {floor.per_s / bare.per_s:.3f}; "
            f"floor p99 {floor.p99_ms:.1f} ms"
        )
    at = (
        ""
        if args.concurrency == TARGET_CONCURRENCY
        else f" (targets are set at concurrency {TARGET_CONCURRENCY})"
    )
    if args.think_ms:
        print("target ratio: for callers firing back to back only (--think-ms 0)")
    else:
        print(f"target ratio >= {TARGET_RATIO}: {'met' if ratio_met else 'NOT MET'}{at}")
    print(f"target gateway p99 <= {p99_target:.0f} ms: {'met' if p99_met else 'NOT MET'}{at}")
    return {
        "ratio": ratio,
        "targets": {
            "ratio_min": TARGET_RATIO,
            "ratio_met": ratio_met,
            "p99_max_ms": p99_target,
            "p99_met": p99_met,
            "concurrency": TARGET_CONCURRENCY,
        },
    }


# What each hop of a benchmark session does (client.answers), for the per-hop latencies.
HOP_NAMES = ("dial", "language", "menu", "topic", "urgency", "commune typed", "description", "send")


def hop_latencies(stats: Stats) -> list[dict[str, Any]]:
    """p50/p90/p99 of each hop of the sessions by its place: where a slow tail comes from."""
    rows = []
    for hop, latencies in sorted(stats.by_hop.items()):
        ordered = sorted(latencies)
        rows.append(
            {
                "hop": hop,
                "what": HOP_NAMES[hop - 1] if hop <= len(HOP_NAMES) else "",
                "p50_ms": percentile(ordered, 50) * 1000,
                "p90_ms": percentile(ordered, 90) * 1000,
                "p99_ms": percentile(ordered, 99) * 1000,
            }
        )
    return rows


def print_hops(rows: list[dict[str, Any]]) -> None:
    print(
        "gateway latency by hop, p50 / p90 / p99 ms: "
        + "; ".join(
            f"{r['hop']} {r['what']} {r['p50_ms']:.0f}/{r['p90_ms']:.0f}/{r['p99_ms']:.0f}" for r in rows
        )
    )


def _show_pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=500, help="full report sessions on the gateway (500)")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent callers / requests (50)")
    parser.add_argument(
        "--database-url",
        help="an EMPTY test database (migrated by the benchmark), e.g. "
        "postgresql+asyncpg://postgres@127.0.0.1:5432/test; default: fresh SQLite in a temp dir",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator: raw HTTP/1.1 keep-alive streams (default, light) or one httpx.AsyncClient",
    )
    parser.add_argument(
        "--api-workers",
        type=int,
        default=1,
        help="uvicorn worker processes for the gateway (more than 1 needs PostgreSQL)",
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause of a caller between hops (0: no pause, a throughput test; e.g. 2000 for people)",
    )
    parser.add_argument(
        "--no-dispatch",
        action="store_true",
        help="SQLite: the gateway does not send its outbox meanwhile (GATEWAY_DISPATCH_IN_PROCESS=false), "
        "to measure the hops alone; on PostgreSQL nothing sends it anyway (no `gateway worker` runs)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=DEFAULT_HISTORY,
        help=f"ended sessions written (and half as many contacts) before the run, then ANALYZE, as a "
        f"database that has served a while holds them ({DEFAULT_HISTORY}; 0: an empty database)",
    )
    parser.add_argument(
        "--db-pool-size",
        type=int,
        help="GATEWAY_DB_POOL_SIZE for the gateway (its default when not given)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure the floor: the bare endpoint plus one durable write a request in the same "
        "database (benchmarks/load/floor.py), what no design of the hop path can beat here",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 100_000:
        parser.error("--sessions must be between 1 and 100000")
    if not 0 <= args.history <= 1_000_000:
        parser.error("--history must be between 0 and 1000000")
    if not 1 <= args.concurrency <= 1000:
        parser.error("--concurrency must be between 1 and 1000")
    return args


def machine_info() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }


def database_name(url: str) -> str | None:
    return make_url(url).database


def print_log(server: Server) -> None:
    print(f"--- end of the {server.name} server log ---\n{log_tail(server.log_path)}", file=sys.stderr)


def full_path_hops(base_url: str) -> dict[str, float]:
    """How many hops the lean path left to the full one, from the gateway's /metrics (warm-up
    included): a lean path that silently fell back would otherwise pass for a slow one."""
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = {"full": 0.0, "busy": 0.0}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == "gateway_ussd_full_path_hops_total":
            found["full"] += float(value)
        elif name == "gateway_ussd_store_busy_total":
            found["busy"] += float(value)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    workdir = Path(tempfile.mkdtemp(prefix="ussd-bench-"))
    servers: list[Server] = []
    try:
        secret_key = secrets.token_urlsafe(48)
        database_url, database_kind = prepare_database(
            args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}", secret_key
        )
        asyncio.run(add_history(database_url, args.history, args.history // 2))
        # `serve` refuses PostgreSQL without a callback token (a deployment); SQLite runs without one.
        callback_token = secrets.token_urlsafe(24) if database_kind == "postgresql" else None
        env = child_env(
            {
                "GATEWAY_SECRET_KEY": secret_key,
                "GATEWAY_DATABASE_URL": database_url,
                "GATEWAY_LOG_LEVEL": "WARNING",
            }
            | ({"GATEWAY_CALLBACK_TOKEN": callback_token} if callback_token else {})
            | ({"GATEWAY_DISPATCH_IN_PROCESS": "false"} if args.no_dispatch else {})
            | ({"GATEWAY_DB_POOL_SIZE": str(args.db_pool_size)} if args.db_pool_size else {})
        )

        def serve(port: int) -> list[str]:
            return ["serve", "--host", HOST, "--port", str(port), "--workers", str(args.api_workers)]

        try:
            servers.append(start_server("gateway", serve, env, workdir))
            servers.append(
                start_server(
                    "bare", lambda port: [HOST, str(port)], child_env({}), workdir, program=stub_program()
                )
            )
            if args.floor:
                floor_url = (
                    database_url
                    if database_kind == "postgresql"
                    else f"sqlite+aiosqlite:///{workdir / 'floor.db'}"
                )
                servers.append(
                    start_server(
                        "floor",
                        lambda port: [HOST, str(port), floor_url],
                        child_env({}),
                        workdir,
                        program=floor_program(),
                    )
                )
            gateway_server, bare_server = servers[:2]
            for server in servers:
                print(
                    f"{server.name}: healthy on {server.base_url} after {server.ready_after_s:.1f} s",
                    file=sys.stderr,
                )
            requests = args.sessions * HOPS_PER_SESSION
            print(f"bare: {requests} requests at concurrency {args.concurrency}…", file=sys.stderr)
            bare_stats = asyncio.run(
                bench(bare_server, args.client, requests, args.concurrency, WARMUP_BARE_REQUESTS, bare_job)
            )
            floor_stats = None
            if args.floor:
                print(f"floor: {args.sessions} sessions at concurrency {args.concurrency}…", file=sys.stderr)
                floor_stats = asyncio.run(
                    bench(
                        servers[2],
                        args.client,
                        args.sessions,
                        args.concurrency,
                        WARMUP_SESSIONS,
                        floor_job,
                        database_name(database_url) if database_kind == "postgresql" else None,
                    )
                )
            print(f"gateway: {args.sessions} sessions at concurrency {args.concurrency}…", file=sys.stderr)
            gateway_stats = asyncio.run(
                bench(
                    gateway_server,
                    args.client,
                    args.sessions,
                    args.concurrency,
                    WARMUP_SESSIONS,
                    report_session_job(Phones(), args.think_ms / 1000, ussd_path(callback_token)),
                    database_name(database_url) if database_kind == "postgresql" else None,
                )
            )
            full_path = full_path_hops(gateway_server.base_url)
        except RuntimeError as exc:  # a server that did not start, or failed during the warm-up
            print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
            for server in servers:
                print_log(server)
            return 1

        gateway, bare = summarise(gateway_stats), summarise(bare_stats)
        floor = summarise(floor_stats) if floor_stats else None
        verdict = print_report(
            gateway, bare, floor, gateway_stats.sessions_done, args, database_kind, machine
        )
        by_hop = hop_latencies(gateway_stats)
        print_hops(by_hop)
        print(
            f"gateway hops left to the full path: {full_path['full']:.0f} "
            f"(of which SQLite's write lock held elsewhere: {full_path['busy']:.0f})"
        )
        if args.json:
            figures = {
                "date": time.strftime("%Y-%m-%d"),
                "machine": machine,
                "database": database_kind,
                "sessions": args.sessions,
                "hops_per_session": HOPS_PER_SESSION,
                "think_ms": args.think_ms,
                "history_sessions": args.history,
                "dispatch_in_process": database_kind == "sqlite" and not args.no_dispatch,
                "concurrency": args.concurrency,
                "client": args.client,
                "gateway": asdict(gateway)
                | {
                    "sessions_completed": gateway_stats.sessions_done,
                    "full_path_hops": full_path,
                    "by_hop": by_hop,
                },
                "bare": asdict(bare),
                "floor": asdict(floor) if floor else None,
                **verdict,
            }
            args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
            print(f"figures written to {args.json}", file=sys.stderr)

        measured = [gateway_stats, bare_stats] + ([floor_stats] if floor_stats else [])
        failed = [stats for stats in measured if stats.error_count]
        for stats in failed:
            print(f"\n!!! {stats.name}: {stats.error_count} ERROR(S); the first ones:", file=sys.stderr)
            for problem in stats.errors:
                print(f"  {problem}", file=sys.stderr)
            print_log(servers[measured.index(stats)])
        if failed:
            print(
                "\nBENCHMARK FAILED: some requests were not answered as expected (see above)", file=sys.stderr
            )
            return 1
        return 0
    finally:
        stop_servers(list(reversed(servers)))
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
