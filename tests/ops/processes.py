"""Starting real `gateway` processes against the test database, as an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from gateway.config import ROOT
from gateway.wiring import Gateway

GATEWAY = Path(sys.executable).parent / "gateway"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gateway_env(gateway: Gateway, **settings: str) -> dict[str, str]:
    """The test database and key, a callback token (`serve` needs one on PostgreSQL; callers send
    `?token=` with env["GATEWAY_CALLBACK_TOKEN"]), plus GATEWAY_<NAME> for each keyword."""
    return {
        **os.environ,
        "GATEWAY_DATABASE_URL": gateway.settings.database_url,
        "GATEWAY_SECRET_KEY": gateway.settings.secret_key or "",
        "GATEWAY_CALLBACK_TOKEN": "ops-tests-callback-token-4c1b9e",
        "GATEWAY_LOG_LEVEL": "WARNING",
        **{f"GATEWAY_{name.upper()}": value for name, value in settings.items()},
    }


def start(args: list[str], env: dict[str, str], stderr: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """A `gateway` command; its standard error is dropped unless a file is given to keep it."""
    return subprocess.Popen(
        [str(GATEWAY), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=stderr or subprocess.DEVNULL,
    )


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the gateway process exited at start"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


def stop(processes: list[subprocess.Popen[bytes]], seconds: float = 15) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
