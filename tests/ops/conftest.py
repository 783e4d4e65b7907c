"""Fixtures for the operations tests: a private PostgreSQL cluster and a gateway on it."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.config import load_settings
from gateway.db.migrate import upgrade
from gateway.wiring import Gateway
from tests.helpers import empty_tables
from tests.ops.private_postgres import BINARIES, Cluster
from tests.ops.processes import free_port


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if not BINARIES:
        pytest.skip("no PostgreSQL binaries on this machine")
    root = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    cluster = Cluster(BINARIES[-1].parent, root, free_port())
    try:
        initdb = ["-D", str(root / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]
        cluster.run("initdb", *initdb)
        for attempt in range(5):
            try:
                cluster.start()
                break
            except subprocess.CalledProcessError:
                # The port was free when chosen; another process may have bound it since.
                log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
                if attempt == 4 or "already in use" not in log:
                    raise
                cluster.port = free_port()
        upgrade(cluster.url())
        yield cluster
    finally:
        try:
            cluster.crash()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def private_gateway(cluster: Cluster) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:
    """A gateway on the private cluster, driven over httpx, no dispatcher of its own."""
    settings = load_settings(
        _env_file=None, database_url=cluster.url(), callback_token=None, dispatch_in_process=False
    )
    gateway = Gateway.build(settings)
    async with gateway.sessionmaker() as db, db.begin():
        await empty_tables(db)  # the cluster lives for the whole run; each test starts empty
    app = create_app(settings, gateway)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield gateway, client
    await gateway.close()
