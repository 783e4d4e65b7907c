"""The embedded default's sending, in a process of its own beside `gateway serve`.

With SQLite, `gateway serve` also sends the outbox and runs the scheduler (there is no separate
worker to start). Done in a thread of the serving process, that work competed with the USSD hops
for the one interpreter lock: each statement of its transactions waited for the hops to let go of
the interpreter, so it held SQLite's write lock for tens of milliseconds while hops queued behind
it (p99 of a hop 150 ms to over a second with 50 callers). As a `gateway worker` process of its
own, its transactions last as long as the database takes.

The companion is started with the server's environment and working directory, so it reads the
same settings; it is restarted if it dies, stopped with the server, and stops by itself if the
server is killed (`--stop-with-parent`).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)

FIRST_RESTART_S = 1.0
LONGEST_RESTART_S = 60.0
# A companion that ran this long before dying starts the pauses over from the first.
HEALTHY_RUN_S = 60.0


class Companion:
    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.command = [sys.executable, "-m", "gateway", "worker", "--stop-with-parent", str(os.getpid())]
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._supervise, name="companion worker", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            # A session of its own: Ctrl-C in a terminal reaches the server only, which then stops
            # the companion in order (a companion stopped first would look like a crash).
            self.process = subprocess.Popen(self.command, start_new_session=True)

    def _supervise(self) -> None:
        pause = FIRST_RESTART_S
        while not self._stopping.is_set():
            process = self.process
            assert process is not None
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= HEALTHY_RUN_S:
                pause = FIRST_RESTART_S
            log.error("the sending process exited (code %s); starting it again in %.0f s", code, pause)
            while not self._stopping.wait(pause):
                pause = min(pause * 2, LONGEST_RESTART_S)
                try:
                    self._spawn()
                    break
                except OSError as exc:  # no process to be had now (out of memory, of PIDs)
                    log.error("could not start the sending process (%s); trying again in %.0f s", exc, pause)
            else:
                return

    def stop(self) -> None:
        """SIGTERM, and the grace period to finish the provider requests in flight; then a kill."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(self.grace_s + 5)
        except subprocess.TimeoutExpired:
            log.error("the sending process did not stop within %.0f s; killing it", self.grace_s + 5)
            process.kill()
            process.wait()
