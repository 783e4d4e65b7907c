"""What a load phase measured, and the figures drawn from it: percentiles, throughput, CPU shares."""

from __future__ import annotations

import os
import resource
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MAX_ERRORS_SHOWN = 10


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
    database_cpu_s: float | None = None
    # The latencies again by the hop's place in its session (1: the dial), for USSD sessions.
    by_hop: dict[int, list[float]] = field(default_factory=dict)

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
    database_cpu_pct: float | None = None


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
        database_cpu_pct=_pct(stats.database_cpu_s, stats.wall_s),
    )


def _pct(cpu_s: float | None, wall_s: float) -> float | None:
    return 100.0 * cpu_s / wall_s if cpu_s is not None and wall_s > 0 else None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc); None where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def tree_cpu_seconds(pid: int) -> float | None:
    """cpu_seconds of a process and of every process below it still running: the gateway's
    companion that sends the outbox, uvicorn's worker processes under --workers N."""
    own = cpu_seconds(pid)
    if own is None:
        return None
    return own + sum(tree_cpu_seconds(child) or 0.0 for child in _children(pid))


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            pass
    return found


# PostgreSQL's own processes, whose work every database's commits share.
_POSTGRES_HELPERS = ("walwriter", "checkpointer", "background writer", "autovacuum", "wal writer")


def postgres_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL process serving `database` (found by the process title
    PostgreSQL gives its backends: "postgres: <cluster>: <user> <database> <client> <state>") and of
    the server's helpers (WAL writer, checkpointer...). Other databases' backends (a test suite
    running beside the benchmark) are left out. Empty where /proc cannot be read."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if not title.startswith("postgres: "):
            continue
        words = title.split()
        serves = len(words) > 3 and words[3] == database
        if serves or any(helper in title for helper in _POSTGRES_HELPERS):
            cpu = cpu_seconds(int(entry.name))
            if cpu is not None:
                found[int(entry.name)] = cpu
    return found


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two postgres_cpu readings (a process started meanwhile counts whole)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
