"""Starting and stopping the servers a benchmark measures (`gateway serve`, `gateway worker`, the stub),
each logging to a file of its own in the benchmark's directory.

The port picking, readiness check and stopping are the test suite's (tests/ops/processes.py), so the
benchmarks and the tests cannot drift apart on them.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

from tests.ops.processes import GATEWAY, start_listening, stop

HOST = "127.0.0.1"
STOP_TIMEOUT_S = 15.0


@dataclass
class Server:
    name: str
    process: Popen[bytes]
    log_path: Path
    base_url: str
    ready_after_s: float


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The parent's environment without any GATEWAY_* setting, plus exactly the benchmark's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GATEWAY_")}
    env.update(extra)
    return env


def start_server(
    name: str,
    args: Callable[[int], list[str]],
    env: dict[str, str],
    workdir: Path,
    ready_path: str = "/healthz",
    program: Sequence[str] = (str(GATEWAY),),
) -> Server:
    """`program` with `args(port)` on a free port of 127.0.0.1, once `ready_path` answers 200 (60 s at
    most), run in `workdir` (so no `.env` is read) with its output in `workdir/<name>.log`.

    Raises RuntimeError with the end of the log if it does not get there."""
    log_path = workdir / f"{name}.log"
    started = time.monotonic()
    try:
        listening = start_listening(args, env, ready_path, log_path, program=program, cwd=workdir)
    except AssertionError as exc:  # the test helpers fail the way pytest wants; a benchmark reports
        raise RuntimeError(f"{name} did not start: {exc}; its log:\n{log_tail(log_path)}") from None
    return Server(
        name, listening.process, log_path, f"http://{HOST}:{listening.port}", time.monotonic() - started
    )


def stub_program() -> list[str]:
    """The bare endpoint, run by this interpreter. `-P` keeps this folder off its import path: the
    modules here are named like others' (client, stats) and must not stand in for them there."""
    return [sys.executable, "-P", str(Path(__file__).with_name("stub.py"))]


def floor_program() -> list[str]:
    """The floor server (load/floor.py), run as the stub is."""
    return [sys.executable, "-P", str(Path(__file__).with_name("floor.py"))]


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def stop_servers(servers: list[Server], seconds: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM to all, then a kill for any still running after `seconds`."""
    stop([server.process for server in servers], seconds)
