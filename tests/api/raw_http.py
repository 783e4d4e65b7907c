"""HTTP/1.1 over plain sockets, for what httpx will not do: lie about Content-Length, send a body
in chunks of our choosing, or read an answer a few hundred bytes at a time."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked(body: bytes, size: int) -> list[bytes]:
    """body as HTTP chunks of `size` bytes (the last one shorter), then the terminating chunk."""
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return [b"%x\r\n%s\r\n" % (len(part), part) for part in parts] + [b"0\r\n\r\n"]


def exchange(port: int, head: bytes, chunks: Iterable[bytes] = (), timeout: float = 15) -> RawResponse:
    """Send a request head and body pieces, then read the answer; stop sending once one arrives."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break  # answered already: the rest would only be refused
            sock.sendall(chunk)
        return read_response(sock)


def read_response(sock: socket.socket) -> RawResponse:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            raise AssertionError(f"the connection closed before a whole answer: {data!r}")
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    length = int(headers.get("content-length", "-1"))
    while length < 0 or len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return RawResponse(int(status_line.split()[1]), headers, body)


@dataclass
class SlowReader:
    """A client on a bad line: a small receive window, a few hundred bytes every 100 ms.

    It reads in a thread of its own until closed; `close` drops the connection mid-answer, with
    data still unread, as a phone losing its signal would.
    """

    port: int
    path: str
    headers: dict[str, str]
    bytes_per_read: int = 300
    pause_s: float = 0.1
    received: bytearray = field(default_factory=bytearray)
    eof: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.sock = socket.socket()
        # Before connecting, so the window the server sees is small from the first byte.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(0.5)
        self.sock.connect(("127.0.0.1", self.port))
        self.sock.sendall(request_head("GET", self.path, self.headers))
        self._thread = threading.Thread(target=self._read, name=f"slow reader {self.path}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                piece = self.sock.recv(self.bytes_per_read)
            except TimeoutError:
                continue
            except OSError:
                return
            if not piece:
                self.eof = True
                return
            self.received += piece
            time.sleep(self.pause_s)

    @property
    def status(self) -> int | None:
        head = bytes(self.received[:64])
        return int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") and b"\r\n" in head else None

    def body_started(self) -> bool:
        """The status line, the headers and some of the body have arrived."""
        head_end = self.received.find(b"\r\n\r\n")
        return head_end >= 0 and len(self.received) > head_end + 4

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()
