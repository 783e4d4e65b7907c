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
import contextlib
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
USSD_PATH = "/callbacks/africastalking/ussd"
BARE_PATH = "/ussd"
SERVICE_CODE = "*384*1234#"
NETWORK_CODE = "61002"
HEALTH_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 60.0
WARMUP_SESSIONS = 10
WARMUP_BARE_REQUESTS = 200
MAX_ERRORS_SHOWN = 10
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0
TARGET_CONCURRENCY = 50
REFERENCE = re.compile(r"\bR-[0-9A-Z]{4,8}\b")


# The answers of a full report from a new phone in French, after the first hop (text ""):
# French, report a problem, security incident, Mali, Sikasso cercle, first commune, urgent,
# <description>, not anonymous, no meeting notices, send.
def answers(number: int) -> list[str]:
    return ["1", "1", "1", "1", "3", "1", "1", f"Test de charge: incident numero {number}", "3", "2", "1"]


HOPS_PER_SESSION = len(answers(0)) + 1  # the first hop sends no answer


# The bare baseline: FastAPI reading the same form, served by uvicorn.run with the options
# `gateway serve` uses, and logging set up the same way (root handler at WARNING, so the
# uvicorn access log lines are dropped at the level check in both servers).
BARE_APP = """\
import logging
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.post("/ussd", response_class=PlainTextResponse)
async def ussd(request: Request) -> PlainTextResponse:
    await request.form()
    return PlainTextResponse("END ok")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel("WARNING")
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    uvicorn.run(app, host=sys.argv[1], port=int(sys.argv[2]), log_config=None, proxy_headers=True)
"""


@dataclass
class Stats:
    """What one load phase measured; latencies in seconds, one per answered request."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    wall_s: float = 0.0
    sessions_done: int = 0
    server_cpu_s: float | None = None
    client_cpu_s: float | None = None

    def error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append(message)


@dataclass
class Summary:
    name: str
    requests: int
    errors: int
    wall_s: float
    per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_pct: float | None
    client_cpu_pct: float | None


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    base_url: str


def percentile(ordered: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default) on an already sorted sequence."""
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(stats: Stats) -> Summary:
    ordered = sorted(stats.latencies)
    count = len(ordered)
    return Summary(
        name=stats.name,
        requests=count,
        errors=stats.error_count,
        wall_s=stats.wall_s,
        per_s=count / stats.wall_s if stats.wall_s > 0 else 0.0,
        p50_ms=percentile(ordered, 50) * 1000,
        p90_ms=percentile(ordered, 90) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        max_ms=(ordered[-1] * 1000) if ordered else float("nan"),
        server_cpu_pct=_pct(stats.server_cpu_s, stats.wall_s),
        client_cpu_pct=_pct(stats.client_cpu_s, stats.wall_s),
    )


def _pct(cpu_s: float | None, wall_s: float) -> float | None:
    return 100.0 * cpu_s / wall_s if cpu_s is not None and wall_s > 0 else None


def free_ports(count: int) -> list[int]:
    """Ports the kernel hands out on 127.0.0.1, all held open together so they are distinct."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def gateway_executable() -> Path:
    for candidate in (Path(sys.executable).parent / "gateway", REPO / ".venv" / "bin" / "gateway"):
        if candidate.is_file():
            return candidate
    raise SystemExit("cannot find the `gateway` console script; run from the project's .venv (make bench)")


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The parent's environment without any GATEWAY_* setting, plus exactly the benchmark's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GATEWAY_")}
    env.update(extra)
    return env


def start(name: str, argv: list[str], env: dict[str, str], workdir: Path, port: int) -> Server:
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    return Server(name=name, process=process, log_path=log_path, base_url=f"http://{HOST}:{port}")


def log_tail(server: Server, lines: int = 40) -> str:
    try:
        text = server.log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def wait_healthy(server: Server, timeout_s: float = HEALTH_TIMEOUT_S) -> float:
    """Poll GET /healthz until it answers 200; returns the seconds it took."""
    started = time.monotonic()
    deadline = started + timeout_s
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with code {server.process.returncode} before answering "
                    f"/healthz; its log:\n{log_tail(server)}"
                )
            try:
                if client.get("/healthz").status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise RuntimeError(
        f"{server.name} did not answer /healthz within {timeout_s:.0f} s; log:\n{log_tail(server)}"
    )


def stop(server: Server) -> None:
    process = server.process
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"{server.name} did not stop within {STOP_TIMEOUT_S:.0f} s; killing it", file=sys.stderr)
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def prepare_database(database_url: str, secret_key: str) -> tuple[str, str]:
    """Normalise the URL as the gateway does, apply migrations, refuse a database holding reports."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from gateway.config import SettingsError, load_settings
    from gateway.db.migrate import upgrade

    try:
        settings = load_settings(_env_file=None, database_url=database_url, secret_key=secret_key)
    except SettingsError as exc:
        raise SystemExit(f"--database-url: {exc}") from None
    url = settings.database_url
    try:
        upgrade(url)
        existing = asyncio.run(_count_reports(url))
    except (SQLAlchemyError, OSError) as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise SystemExit(f"cannot prepare the database {shown}: {exc}") from None
    if existing:
        raise SystemExit(
            f"the database already holds {existing} report(s); the benchmark writes hundreds of fake "
            "reports, so point it at an empty test database"
        )
    return url, "sqlite" if settings.is_sqlite else "postgresql"


async def _count_reports(url: str) -> int:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM reports"))).scalar_one())
    finally:
        await engine.dispose()


class RequestFailed(RuntimeError):
    """No usable HTTP answer: connection refused or reset, timeout, malformed response."""


class Poster(Protocol):
    """Sends one form-encoded POST and returns the status code and the body text."""

    async def connect(self) -> None: ...

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str]: ...

    async def aclose(self) -> None: ...


class HttpxPoster:
    """One worker's handle on the shared httpx.AsyncClient (its pool holds a connection per worker)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def connect(self) -> None:
        return None

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        try:
            response = await self.client.post(path, data=data)
        except httpx.HTTPError as exc:
            raise RequestFailed(f"{type(exc).__name__}: {exc}") from exc
        return response.status_code, response.text

    async def aclose(self) -> None:
        return None  # the shared client is closed by whoever opened it


class RawConnection:
    """HTTP/1.1 with keep-alive over one asyncio stream, one per worker.

    Just enough HTTP for these two servers (Content-Length or chunked bodies). It costs the load
    generator well under 0.1 ms of CPU per request where httpx costs about 1 ms, and 3 ms at 50
    connections in one pool: with httpx the 2-core machine measures the client, not the servers.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                await self._streams()
        except (OSError, TimeoutError) as exc:
            raise RequestFailed(f"connect: {type(exc).__name__}: {exc}") from exc

    async def _streams(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urlencode(data).encode("ascii")
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode("ascii")
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                reader, writer = await self._streams()
                writer.write(head + body)
                return await self._response(reader)
        except (
            OSError,
            TimeoutError,
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ) as exc:
            await self.aclose()
            raise RequestFailed(f"{type(exc).__name__}: {exc}") from exc

    async def _response(self, reader: asyncio.StreamReader) -> tuple[int, str]:
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            for _ in range(100_000):
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            payload = b"".join(chunks)
        elif "content-length" in headers:
            payload = await reader.readexactly(int(headers["content-length"]))
        else:
            raise ValueError(f"HTTP {status} answer without a length")
        if headers.get("connection", "").lower() == "close":
            await self.aclose()
        return status, payload.decode("utf-8", errors="replace")

    async def aclose(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def poster_factory(kind: str, base_url: str, concurrency: int) -> AsyncIterator[Callable[[], Poster]]:
    if kind == "httpx":
        limits = httpx.Limits(
            max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=60.0
        )
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT_S) as client:
            yield lambda: HttpxPoster(client)
        return
    url = httpx.URL(base_url)
    host, port = url.host, url.port or 80
    yield lambda: RawConnection(host, port)


class Phones:
    """Distinct Malian mobile numbers (+2237 and 7 digits), new to the database in every run."""

    def __init__(self) -> None:
        self._used: set[int] = set()
        self._random = random.SystemRandom()

    def new(self) -> str:
        for _ in range(1000):
            number = self._random.randrange(10**7)
            if number not in self._used:
                self._used.add(number)
                return f"+2237{number:07d}"
        raise RuntimeError("ran out of phone numbers")


Job = Callable[[Poster, int, Stats], Awaitable[None]]


def report_session_job(phones: Phones, think_s: float = 0.0) -> Job:
    async def job(poster: Poster, number: int, stats: Stats) -> None:
        """One caller's full report from a new phone, hop by hop; it stops at the first wrong answer.

        With a think time the caller pauses between hops (uniformly 0.5x-1.5x of it), as a person
        reading a screen and typing does, and dials after a pause of 0-2x of it; without, the
        callers are a closed loop at full speed.
        """
        session_id = "ATUid_" + secrets.token_hex(16)
        phone = phones.new()
        inputs = answers(number)
        for hop in range(HOPS_PER_SESSION):
            if think_s:
                # Before the first hop too: callers dial at scattered moments, not all at once.
                await asyncio.sleep(think_s * (random.uniform(0.5, 1.5) if hop else random.uniform(0, 2)))
            data = {
                "sessionId": session_id,
                "serviceCode": SERVICE_CODE,
                "phoneNumber": phone,
                "networkCode": NETWORK_CODE,
                "text": "*".join(inputs[:hop]),
            }
            started = time.perf_counter()
            try:
                status, body = await poster.post(USSD_PATH, data)
            except RequestFailed as exc:
                stats.error(f"session {number} hop {hop + 1}: {exc}")
                return
            stats.latencies.append(time.perf_counter() - started)
            last = hop == HOPS_PER_SESSION - 1
            expected = "END " if last else "CON "
            ok = (
                status == 200
                and body.startswith(expected)
                and (not last or REFERENCE.search(body) is not None)
            )
            if not ok:
                stats.error(
                    f"session {number} hop {hop + 1}: HTTP {status}, expected {expected!r}…: {body[:200]!r}"
                )
                return
        stats.sessions_done += 1

    return job


async def bare_job(poster: Poster, number: int, stats: Stats) -> None:
    data = {
        "sessionId": "ATUid_" + secrets.token_hex(16),
        "serviceCode": SERVICE_CODE,
        "phoneNumber": "+22370000000",
        "networkCode": NETWORK_CODE,
        "text": "1*1*1*1*3*1*1",
    }
    started = time.perf_counter()
    try:
        status, body = await poster.post(BARE_PATH, data)
    except RequestFailed as exc:
        stats.error(f"request {number}: {exc}")
        return
    stats.latencies.append(time.perf_counter() - started)
    if status != 200 or body != "END ok":
        stats.error(f"request {number}: HTTP {status}: {body[:200]!r}")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc); None where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_jobs(
    make_poster: Callable[[], Poster], total: int, concurrency: int, job: Job, stats: Stats, server_pid: int
) -> None:
    """`concurrency` workers, each with its own connection, take job numbers 0..total-1 until none is left."""
    posters = [make_poster() for _ in range(min(concurrency, total))]
    next_number = 0

    async def worker(poster: Poster) -> None:
        nonlocal next_number
        while next_number < total:
            number = next_number
            next_number += 1
            await job(poster, number, stats)

    try:
        for poster in posters:  # connections are opened before the clock starts
            await poster.connect()
        server_before, client_before = cpu_seconds(server_pid), own_cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker(poster) for poster in posters))
        stats.wall_s = time.perf_counter() - started
        server_after, client_after = cpu_seconds(server_pid), own_cpu_seconds()
        if server_before is not None and server_after is not None:
            stats.server_cpu_s = server_after - server_before
        stats.client_cpu_s = client_after - client_before
    finally:
        for poster in posters:
            await poster.aclose()


async def bench(server: Server, kind: str, total: int, concurrency: int, warmup: int, job: Job) -> Stats:
    """A warm-up (not measured, but every answer checked), then the measured run."""
    async with poster_factory(kind, server.base_url, concurrency) as make_poster:
        warm = Stats(name=f"{server.name} warm-up")
        await run_jobs(make_poster, warmup, concurrency, job, warm, server.process.pid)
        if warm.error_count:
            raise RuntimeError(f"{server.name} failed during the warm-up: " + "; ".join(warm.errors))
        stats = Stats(name=server.name)
        await run_jobs(make_poster, total, concurrency, job, stats, server.process.pid)
    return stats


def print_report(
    gateway: Summary,
    bare: Summary,
    sessions_done: int,
    args: argparse.Namespace,
    database_kind: str,
    machine: dict[str, Any],
) -> dict[str, Any]:
    ratio = gateway.per_s / bare.per_s if bare.per_s else 0.0
    ratio_met = ratio >= TARGET_RATIO
    p99_met = gateway.p99_ms <= TARGET_P99_MS
    print()
    print(
        f"machine: {machine['cpu_count']} CPUs, Python {machine['python']} ({machine['implementation']}), "
        f"{machine['platform']}; load average before the run {machine['loadavg_before']}"
    )
    print(
        f"database: {database_kind}; {args.sessions} sessions x {HOPS_PER_SESSION} hops, "
        f"concurrency {args.concurrency}, {args.client} client; one uvicorn worker per server; "
        "the load generator shares the CPUs with the servers"
    )
    print()
    header = (
        f"{'server':<8} {'requests':>8} {'errors':>6} {'wall s':>7} {'req/s':>7} {'p50 ms':>7} "
        f"{'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'srv CPU':>7} {'gen CPU':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in (gateway, bare):
        print(
            f"{row.name:<8} {row.requests:>8} {row.errors:>6} {row.wall_s:>7.2f} {row.per_s:>7.1f} "
            f"{row.p50_ms:>7.1f} {row.p90_ms:>7.1f} {row.p99_ms:>7.1f} {row.max_ms:>7.1f} "
            f"{_show_pct(row.server_cpu_pct):>7} {_show_pct(row.client_cpu_pct):>7}"
        )
    print(
        "(req/s for the gateway = USSD hops/s; CPU = share of one core used by the server / load generator)"
    )
    print()
    print(f"gateway sessions completed: {sessions_done}/{args.sessions}")
    print(f"ratio gateway hops/s / bare req/s: {ratio:.3f}")
    at = (
        ""
        if args.concurrency == TARGET_CONCURRENCY
        else f" (targets are set at concurrency {TARGET_CONCURRENCY})"
    )
    print(f"target ratio >= {TARGET_RATIO}: {'met' if ratio_met else 'NOT MET'}{at}")
    print(f"target gateway p99 <= {TARGET_P99_MS:.0f} ms: {'met' if p99_met else 'NOT MET'}{at}")
    return {
        "ratio": ratio,
        "targets": {
            "ratio_min": TARGET_RATIO,
            "ratio_met": ratio_met,
            "p99_max_ms": TARGET_P99_MS,
            "p99_met": p99_met,
            "concurrency": TARGET_CONCURRENCY,
        },
    }


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
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 100_000:
        parser.error("--sessions must be between 1 and 100000")
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
        gateway_port, bare_port = free_ports(2)
        env = child_env(
            {
                "GATEWAY_SECRET_KEY": secret_key,
                "GATEWAY_DATABASE_URL": database_url,
                "GATEWAY_LOG_LEVEL": "WARNING",
            }
        )
        gateway_argv = [
            str(gateway_executable()),
            "serve",
            "--host",
            HOST,
            "--port",
            str(gateway_port),
            "--workers",
            str(args.api_workers),
        ]
        (workdir / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
        bare_argv = [sys.executable, str(workdir / "bare_app.py"), HOST, str(bare_port)]
        servers.append(start("gateway", gateway_argv, env, workdir, gateway_port))
        servers.append(start("bare", bare_argv, child_env({}), workdir, bare_port))
        gateway_server, bare_server = servers
        try:
            for server in servers:
                took = wait_healthy(server)
                print(f"{server.name}: healthy on {server.base_url} after {took:.1f} s", file=sys.stderr)
            requests = args.sessions * HOPS_PER_SESSION
            print(f"bare: {requests} requests at concurrency {args.concurrency}…", file=sys.stderr)
            bare_stats = asyncio.run(
                bench(bare_server, args.client, requests, args.concurrency, WARMUP_BARE_REQUESTS, bare_job)
            )
            print(f"gateway: {args.sessions} sessions at concurrency {args.concurrency}…", file=sys.stderr)
            gateway_stats = asyncio.run(
                bench(
                    gateway_server,
                    args.client,
                    args.sessions,
                    args.concurrency,
                    WARMUP_SESSIONS,
                    report_session_job(Phones(), args.think_ms / 1000),
                )
            )
        except RuntimeError as exc:  # a server that did not start, or failed during the warm-up
            print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
            for server in servers:
                print(f"--- end of the {server.name} server log ---\n{log_tail(server)}", file=sys.stderr)
            return 1

        gateway, bare = summarise(gateway_stats), summarise(bare_stats)
        verdict = print_report(gateway, bare, gateway_stats.sessions_done, args, database_kind, machine)
        if args.json:
            figures = {
                "date": time.strftime("%Y-%m-%d"),
                "machine": machine,
                "database": database_kind,
                "sessions": args.sessions,
                "hops_per_session": HOPS_PER_SESSION,
                "think_ms": args.think_ms,
                "concurrency": args.concurrency,
                "client": args.client,
                "gateway": asdict(gateway) | {"sessions_completed": gateway_stats.sessions_done},
                "bare": asdict(bare),
                **verdict,
            }
            args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
            print(f"figures written to {args.json}", file=sys.stderr)

        failed = [stats for stats in (gateway_stats, bare_stats) if stats.error_count]
        for stats in failed:
            print(f"\n!!! {stats.name}: {stats.error_count} ERROR(S); the first ones:", file=sys.stderr)
            for problem in stats.errors:
                print(f"  {problem}", file=sys.stderr)
            server = gateway_server if stats is gateway_stats else bare_server
            print(f"--- end of the {server.name} server log ---\n{log_tail(server)}", file=sys.stderr)
        if failed:
            print(
                "\nBENCHMARK FAILED: some requests were not answered as expected (see above)", file=sys.stderr
            )
            return 1
        return 0
    finally:
        for server in reversed(servers):
            stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
