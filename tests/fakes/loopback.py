"""What every fake provider shares: an asyncio server on 127.0.0.1 in a thread and event loop of its
own, so that the tests' own loop (and the real clients in it) talk to it over a real socket.

A subclass writes `_handle` (one connection); `start()` returns once the port is known, `stop()`
closes the port, cancels the connections still open (slow or held answers are dropped unanswered)
and joins the thread. `HoldingLoopbackServer` adds answers held until the test releases them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Self


class LoopbackServer:
    thread_name = "fake-server"
    what = "fake server"  # in the errors: "<what> did not start", "the <what> did not stop"

    def __init__(self) -> None:
        self.port = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError(f"{self.what} did not start")
        return self

    def stop(self) -> None:
        """Closes the port and drops the requests still in hand (slow or held) unanswered."""
        if self._loop and self._stopping and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread:
            self._thread.join(10)
            assert not self._thread.is_alive(), f"the {self.what} did not stop"

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        loop.run_until_complete(self._serve())
        loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        self._prepare()
        await self._listen()
        self._started.set()
        await self._stopping.wait()
        await self._close_listener()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _prepare(self) -> None:
        """In the server's loop, before it listens: for what must belong to that loop."""

    async def _listen(self) -> None:
        """Listens on `self.port` (any free port the first time; the same one again after
        `_close_listener`)."""
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: its requests one after the other (keep-alive) until it closes, the
        answer drops it, or the server stops."""
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    break
                if await self._answer(writer, *request):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _answer(
        self, writer: asyncio.StreamWriter, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> bool:
        """Answers one request; True when it dropped the connection instead."""
        raise NotImplementedError

    def _count_down(self, faults: object, *counters: tuple[str, str]) -> str | None:
        """The action of the first of `counters` (fault counter, action) still above zero, that
        counter taken down by one; None when none is."""
        with self._lock:
            for name, action in counters:
                if getattr(faults, name) > 0:
                    setattr(faults, name, getattr(faults, name) - 1)
                    return action
        return None


class HoldingLoopbackServer(LoopbackServer):
    """A loopback server that can hold answers: a request waits in `_held()` until `release()`."""

    def __init__(self) -> None:
        super().__init__()
        self._gate: asyncio.Event | None = None
        self._holding = 0

    def _prepare(self) -> None:
        self._gate = asyncio.Event()

    @property
    def holding(self) -> int:
        """Requests received and held, not yet released."""
        with self._lock:
            return self._holding

    async def wait_holding(self, count: int = 1, seconds: float = 30) -> None:
        """Until `count` requests are held: the client is then waiting inside a request, whatever
        the machine's load, for as long as the test wants."""
        deadline = time.monotonic() + seconds
        while self.holding < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} request(s) held wanted; {self.holding} after {seconds} s")
            await asyncio.sleep(0.01)

    def release(self) -> None:
        """Answers the requests held so far; the ones held after wait for the next release."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._open_gate)

    def _open_gate(self) -> None:
        if self._gate is not None:
            self._gate.set()
        self._gate = asyncio.Event()

    async def _held(self) -> None:
        assert self._gate is not None
        gate = self._gate
        with self._lock:
            self._holding += 1
        try:
            await gate.wait()
        finally:
            with self._lock:
                self._holding -= 1


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    """One HTTP/1.1 request as (method, path, headers with lower-case names, body); None at the end
    of the connection."""
    line = await reader.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return method, path, headers, body


async def write_response(
    writer: asyncio.StreamWriter, status: int, reason: str, headers: dict[str, str], body: bytes
) -> None:
    """An HTTP/1.1 answer that keeps the connection open: the status line, `headers` in their
    order, then Content-Length and Connection."""
    head = f"HTTP/1.1 {status} {reason}\r\n"
    for name, value in headers.items():
        head += f"{name}: {value}\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    writer.write(head.encode("latin-1") + body)
    await writer.drain()
