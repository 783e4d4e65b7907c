"""A PostgreSQL cluster of the tests' own (initdb in a temporary directory, from this machine's
PostgreSQL binaries), for what must not be done to the shared server: crash it, restore into it.
Run as the `postgres` user when the tests run as root (PostgreSQL refuses root)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))


@dataclass
class Cluster:
    bin: Path
    root: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def client(self, tool: str, *args: str) -> None:
        """pg_dump, pg_restore, createdb… against this cluster, as an operator would run them."""
        self.run(tool, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *args)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        data, log = str(self.root / "data"), str(self.root / "log")
        self.run("pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start")

    def crash(self) -> None:
        """Stop as in a crash: no checkpoint, recovery at the next start."""
        self.run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
