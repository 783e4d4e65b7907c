"""Request bodies over the limit are refused with a 413 before any token check or parsing: on a
declared Content-Length without reading a byte, on a chunked body as soon as it passes the limit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.types import Message, Receive, Scope, Send

from gateway.broadcasts.models import Meeting
from gateway.http.body_limit import BodyLimit, declared_length
from gateway.wiring import Gateway
from tests.api.live_server import LiveServer
from tests.api.raw_http import chunked, exchange, request_head
from tests.api.test_committees_api import token
from tests.helpers import USSD_URL, UssdCaller, count

MEETINGS = "/api/v1/meetings"
LIMIT = 1024


class Recorder:
    """An application that reads its whole body, then answers with what it got."""

    def __init__(self) -> None:
        self.ran = False
        self.body = b""
        self.saw_disconnect = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.ran = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.saw_disconnect = True
                break
            self.body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"got %d" % len(self.body)})


async def drive(
    path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[Recorder, list[Message]]:
    """One request through BodyLimit(limit 1024 for callbacks, 2048 otherwise) to a Recorder."""
    app = Recorder()
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks or [b""])
    ]

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": path, "headers": headers or []}
    await BodyLimit(app, callback_limit=LIMIT, api_limit=2 * LIMIT)(scope, receive, send)
    return app, sent


def answer(sent: list[Message]) -> tuple[int, Any]:
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    if start["status"] == 200:
        return 200, body.decode()
    return start["status"], json.loads(body)


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=600), max_size=8),
    declare=st.booleans(),
    callback=st.booleans(),
)
def test_any_chunking_passes_a_body_within_the_limit_whole_and_refuses_one_over_it(
    sizes: list[int], declare: bool, callback: bool
) -> None:
    chunks = [bytes([65 + i % 26]) * size for i, size in enumerate(sizes)]
    body = b"".join(chunks)
    limit = LIMIT if callback else 2 * LIMIT
    headers = [(b"content-length", str(len(body)).encode())] if declare else []
    path = "/callbacks/africastalking/ussd" if callback else "/api/v1/meetings"
    app, sent = asyncio.run(drive(path, chunks, headers))
    status, content = answer(sent)
    if len(body) <= limit:
        assert (status, app.body) == (200, body)
        return
    assert status == 413
    assert content == {"error": f"request body too large (at most {limit} bytes)"}
    assert len(app.body) <= limit  # never more than the limit reached the application
    if declare:
        assert not app.ran  # refused on the header alone
    else:
        assert app.saw_disconnect  # the app was told the client left; its own answer went nowhere
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


@given(st.binary(max_size=30))
def test_a_content_length_is_ascii_digits_or_refused(value: bytes) -> None:
    scope: Scope = {"headers": [(b"content-length", value)]}
    if value.strip().isdigit():
        assert declared_length(scope) == min(int(value), 10**18)
    else:
        with pytest.raises(ValueError, match="number"):
            declared_length(scope)


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-length", b"12abc")],
        [(b"content-length", b"-1")],
        [(b"content-length", b"")],
        [(b"content-length", b"\xd9\xa3")],  # ARABIC-INDIC DIGIT THREE: a digit, but not ASCII
        [(b"content-length", b"10"), (b"content-length", b"20")],
    ],
)
async def test_a_content_length_that_is_not_one_number_is_400(headers: list[tuple[bytes, bytes]]) -> None:
    app, sent = await drive(MEETINGS, [b"0123456789"], headers)
    assert answer(sent) == (400, {"error": "invalid Content-Length header"})
    assert not app.ran


async def test_a_huge_declared_length_is_413_without_parsing_it() -> None:
    app, sent = await drive(MEETINGS, [b""], [(b"content-length", b"9" * 5000)])
    assert answer(sent)[0] == 413
    assert not app.ran


# Through the whole application (httpx's ASGI transport).


async def test_an_oversized_content_length_without_a_token_is_413_not_401(client: httpx.AsyncClient) -> None:
    response = await client.post(
        MEETINGS,
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": str(75 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert response.json() == {"error": f"request body too large (at most {1024 * 1024} bytes)"}


def padded_meeting(total: int) -> bytes:
    """A valid meeting whose JSON, padded with white space, is exactly `total` bytes."""
    head = json.dumps(
        {"title": {"fr": "Forum transfrontalier"}, "place": "Zégoua", "starts_at": "2030-01-15T09:00:00Z"}
    ).encode()[:-1]
    return head + b" " * (total - len(head) - 1) + b"}"


async def test_a_chunked_body_over_the_limit_is_413_and_the_handler_never_ran(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    limit = gateway.settings.max_api_body_bytes
    body = padded_meeting(limit + 1)

    async def stream() -> Any:
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    organiser = await token(gateway, "organiser")
    response = await client.post(
        MEETINGS, content=stream(), headers={**organiser, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert await count(gateway, select(func.count()).select_from(Meeting)) == 0
    # The same meeting within the limit is made: the 413 was the size, not the content.
    within = await client.post(
        MEETINGS, content=padded_meeting(limit), headers={**organiser, "Content-Type": "application/json"}
    )
    assert within.status_code == 201, within.text


async def test_callbacks_have_the_smaller_limit_and_a_normal_hop_still_works(
    client: httpx.AsyncClient, caller: UssdCaller, gateway: Gateway
) -> None:
    assert (await caller.dial()).startswith("CON ")
    limit = gateway.settings.max_callback_body_bytes
    hop = {"sessionId": "ATUid_big", "phoneNumber": "+22370000002", "serviceCode": "*384*1234#"}
    refused = await client.post(USSD_URL, data={**hop, "text": "1" * limit})
    assert refused.status_code == 413
    assert refused.json() == {"error": f"request body too large (at most {limit} bytes)"}


# Through a real uvicorn server, where Content-Length and chunks are what the client sends.


async def test_a_real_server_refuses_a_declared_75_mb_at_once(live_server: LiveServer) -> None:
    head = request_head(
        "POST",
        MEETINGS,
        {"Content-Type": "application/json", "Content-Length": str(75 * 1024 * 1024)},
    )
    # No byte of the body is ever sent: an answer at all means the server did not wait for it.
    response = await asyncio.to_thread(exchange, live_server.port, head)
    assert response.status == 413
    assert json.loads(response.body)["error"].startswith("request body too large")
    assert response.headers["connection"] == "close"


async def test_a_real_server_refuses_a_chunked_body_once_past_the_limit(
    live_server: LiveServer, gateway: Gateway
) -> None:
    limit = gateway.settings.max_api_body_bytes
    organiser = await token(gateway, "organiser")
    head = request_head(
        "POST",
        MEETINGS,
        {**organiser, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    )
    # Exactly the limit in 64 KiB chunks, then one byte more, then nothing: the server has read
    # everything sent when it answers, so it closes cleanly and the 413 is not lost to a reset.
    body = padded_meeting(limit + 1)
    pieces = chunked(body[:limit], 65536)[:-1] + [b"1\r\n}\r\n"]
    response = await asyncio.to_thread(exchange, live_server.port, head, pieces)
    assert response.status == 413
    assert json.loads(response.body) == {"error": f"request body too large (at most {limit} bytes)"}
    assert await count(gateway, select(func.count()).select_from(Meeting)) == 0


async def test_a_real_server_still_answers_ussd_hops(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        caller = UssdCaller(http, phone="+22370000003")
        assert (await caller.dial()).startswith("CON ")
        assert (await caller.send("1")).startswith("CON ")
