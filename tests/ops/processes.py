"""Starting real `gateway` processes against the test database, as an operator would."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

import httpx

from gateway.config import ROOT

if TYPE_CHECKING:  # the benchmarks start processes with these helpers and need no wiring
    from gateway.wiring import Gateway

GATEWAY = Path(sys.executable).parent / "gateway"
# Ports for processes of our own are picked below this, where the kernel never hands out one.
_OWN_PORTS_FROM = 20000


class PortTaken(AssertionError):
    """The port chosen for a process was taken by another before the process could bind it."""


class Listening(NamedTuple):
    process: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    """A port nothing listens on now, for a process that will bind it a moment later.

    Not one of the kernel's ephemeral ports: those go to every socket bound to port 0 and to every
    outgoing connection, of this run and of any other process on the machine (a second test run
    among them), and one of them could take it between now and the bind. Chosen at random, from
    the operating system's randomness: `random` is seeded alike in test runs started alike."""
    low = _ephemeral_low()
    if low - _OWN_PORTS_FROM >= 1000:
        for _ in range(200):
            port = _OWN_PORTS_FROM + secrets.randbelow(low - _OWN_PORTS_FROM)
            if _bindable(port):
                return port
    with socket.socket() as s:  # no room below the ephemeral range: the kernel's choice, then
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default; elsewhere a guess that errs low


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


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


def start(
    args: list[str],
    env: dict[str, str],
    stderr: IO[bytes] | None = None,
    *,
    program: Sequence[str] = (str(GATEWAY),),
    cwd: Path = ROOT,
) -> subprocess.Popen[bytes]:
    """A `gateway` command (or `program`, for a server of the benchmarks'); its standard error is
    dropped unless a file is given to keep it."""
    return subprocess.Popen(
        [*program, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=stderr or subprocess.DEVNULL,
    )


def start_listening(
    args: Callable[[int], list[str]],
    env: dict[str, str],
    ready_path: str,
    stderr: Path | None = None,
    attempts: int = 5,
    *,
    program: Sequence[str] = (str(GATEWAY),),
    cwd: Path = ROOT,
) -> Listening:
    """A `gateway` command (or `program`) that listens on the port it is given (`args(port)`
    builds its arguments), once `ready_path` answers 200 from that very process.

    Between choosing a free port and the process binding it, another process may take it: then
    the process fails to start (address in use), or another server answers in its place. Either
    way it is tried again on another port. `stderr`, if given, keeps the last attempt's output."""
    with tempfile.TemporaryDirectory(prefix="gateway-stderr-") as scratch:
        output = stderr or Path(scratch) / "stderr.log"
        for _ in range(attempts):
            port = free_port()
            with output.open("wb") as sink:
                process = start(args(port), env, sink, program=program, cwd=cwd)
            try:
                wait_ready(f"http://127.0.0.1:{port}{ready_path}", process)
            except PortTaken:
                stop([process])
                continue
            except AssertionError:
                stop([process])
                if "address already in use" in output.read_text(errors="replace").lower():
                    continue
                raise
            return Listening(process, port)
    raise AssertionError(
        f"no free port kept long enough for `{' '.join([*program, *args(0)])}` in {attempts} tries"
    )


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Until `url` answers 200 from `process` itself (not from another that has its port). The
    deadline is generous: a process starting on a loaded machine takes seconds to import."""
    port = httpx.URL(url).port
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the process exited at start with code {process.returncode}"
        try:
            answered = httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            answered = False
        if answered:
            if port is not None and listens(process.pid, port) is False:
                raise PortTaken(f"another process answers on port {port}")
            return
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {seconds} s")


class TcpSocket(NamedTuple):
    local_port: int
    remote_port: int
    state: str  # as the kernel writes it: 01 established, 0A listening
    unacknowledged: int  # bytes sent that the other end has not acknowledged yet
    unread: int  # bytes received that the process has not read yet
    inode: str


LISTEN, ESTABLISHED = "0A", "01"


def tcp_sockets() -> list[TcpSocket] | None:
    """This machine's TCP sockets as Linux lists them in /proc/net; None elsewhere."""
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        return None
    found = []
    for table in tables:
        try:
            rows = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            # sl local_address rem_address st tx_queue:rx_queue tr:when retrnsmt uid timeout inode
            fields = row.split()
            tx, rx = fields[4].split(":")
            found.append(
                TcpSocket(
                    int(fields[1].rsplit(":", 1)[1], 16),
                    int(fields[2].rsplit(":", 1)[1], 16),
                    fields[3],
                    int(tx, 16),
                    int(rx, 16),
                    fields[9],
                )
            )
    return found


def socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets process `pid` holds open."""
    inodes = set()
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for descriptor in descriptors:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            inodes.add(link[len("socket:[") : -1])
    return inodes


def listens(pid: int, port: int) -> bool | None:
    """Whether process `pid` holds the socket listening on `port`; None where the system does not
    tell."""
    sockets = tcp_sockets()
    if sockets is None:
        return None
    held = socket_inodes(pid)
    return any(s.state == LISTEN and s.local_port == port and s.inode in held for s in sockets)


def has_read_every_request(pid: int, port: int) -> bool | None:
    """Whether process `pid`, serving on `port`, has connections, has accepted every one and read
    every byte sent on them: a request whose client has finished writing it is then in the
    server's hands, not in a queue of the kernel's. None where the system does not tell."""
    sockets = tcp_sockets()
    if sockets is None:
        return None
    held = socket_inodes(pid)
    clients = [s for s in sockets if s.state == ESTABLISHED and s.remote_port == port]
    accepted = [s for s in sockets if s.state == ESTABLISHED and s.local_port == port and s.inode in held]
    return (
        bool(clients)
        and len(accepted) >= len(clients)
        and all(s.unacknowledged == 0 for s in clients)
        and all(s.unread == 0 for s in accepted)
    )


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
