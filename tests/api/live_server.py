"""The app under a real uvicorn server, in a thread of this process, on a port of its own.

httpx's ASGI transport hands the app a whole body at once and computes Content-Length itself, and
it never makes a slow reader; sockets against a real server do. Being in this process, a test can
also look at the server's own connection pool.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from gateway.app import create_app
from gateway.config import Settings
from gateway.wiring import Gateway


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        self.app: FastAPI = create_app(settings)
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app,
            log_config=None,
            lifespan="on",
            # The tests close their clients; this only bounds a failing test's stop.
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="uvicorn", daemon=True
        )

    def start(self, seconds: float = 30) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + seconds
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise AssertionError("the live server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(30)
        self._socket.close()
        assert not self._thread.is_alive(), "the live server did not stop"

    @property
    def gateway(self) -> Gateway:
        built: Gateway = self.app.state.gateway  # built by the app's lifespan, on the server's loop
        return built

    def connections_in_use(self) -> int:
        """Database connections the server has checked out of its pool right now."""
        pool: Any = self.gateway.db_engine.pool
        return int(pool.checkedout())
