"""A ceiling on request bodies, enforced before routing, authentication or parsing.

FastAPI reads and parses a body before it runs an endpoint's dependencies, so without this an
unauthenticated client could make the process hold any number of megabytes (and starve USSD
callers, who are cut off after 15 s) before its missing token was even looked at.
"""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "/callbacks/"
# More digits than this is more than any limit we accept; int() is never asked to parse a flood of them.
MAX_LENGTH_DIGITS = 18


class BodyLimit:
    """Pure ASGI middleware: it never buffers, it only counts what passes through.

    A declared Content-Length over the limit is answered 413 without reading a byte. A body without
    one (chunked) is counted as it arrives; the chunk that crosses the limit is not handed on: the
    client gets its 413 and the application sees the client leave, as it would on a dropped line.
    """

    def __init__(self, app: ASGIApp, *, callback_limit: int, api_limit: int) -> None:
        self.app = app
        self.callback_limit = callback_limit
        self.api_limit = api_limit

    def limit_for(self, path: str) -> int:
        return self.callback_limit if path.startswith(CALLBACK_PREFIX) else self.api_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        try:
            declared = declared_length(scope)
        except ValueError:
            await _refuse(scope, send, 400, "invalid Content-Length header")
            return
        if declared is not None and declared > limit:
            await _too_large(scope, send, limit)
            return
        await _CountedRequest(self.app, scope, receive, send, limit).run()


def declared_length(scope: Scope) -> int | None:
    """The Content-Length a request declares, None if none; ValueError if it is not one number."""
    values = {value.strip() for name, value in scope.get("headers", ()) if name.lower() == b"content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise ValueError("two different lengths")  # which one the server framed by is anyone's guess
    [value] = values
    if not value.isdigit():  # bytes.isdigit: ASCII digits only, so no sign, space or empty value
        raise ValueError("not a number")
    if len(value.lstrip(b"0")) > MAX_LENGTH_DIGITS:
        return 10**MAX_LENGTH_DIGITS
    return int(value)


class _CountedRequest:
    """One request whose body is counted on its way to the application."""

    def __init__(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        self.app, self.scope, self.limit = app, scope, limit
        self._receive, self._send = receive, send
        self.received = 0
        self.over = False  # the limit was passed: the app is told the client left
        self.answered = False  # we sent the 413 ourselves: whatever the app sends is dropped
        self.response_started = False

    async def run(self) -> None:
        await self.app(self.scope, self.receive, self.send)

    async def receive(self) -> Message:
        if self.over:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] != "http.request":
            return message
        self.received += len(message.get("body", b""))
        if self.received <= self.limit:
            return message
        self.over = True
        if not self.response_started:
            self.answered = True
            await _too_large(self.scope, self._send, self.limit)
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    # The path only (a callback's query string carries its token), quoted and cut: it is the client's.
    log.warning("refused %s %r: body over %d bytes", scope.get("method"), scope["path"][:120], limit)
    await _refuse(scope, send, 413, f"request body too large (at most {limit} bytes)")


async def _refuse(scope: Scope, send: Send, status: int, error: str) -> None:
    # Connection: close, so the server does not go on reading (or keep) the rest of a body refused.
    response = JSONResponse({"error": error}, status_code=status, headers={"Connection": "close"})
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
