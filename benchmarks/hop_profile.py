"""Where a USSD hop's CPU goes, in process: the app called as ASGI (no sockets, no load generator),
full report sessions one after the other, CPU time per hop by kind of hop.

    .venv/bin/python benchmarks/hop_profile.py [--sessions N] [--database-url URL] [--profile]

The kinds: `first` (the dial: session made, flood mark, contact looked up), `language` (the
contact made), `menu` (a menu answered: load, engine, save), `text` (the commune typed and matched,
the description), `submit`
(the report, its receipt, the session ended). `--profile` adds cProfile's top functions. Figures
are CPU seconds of this process (time.process_time), which is what one server process spends;
the HTTP server and the sockets are left out on purpose: ussd_load.py measures those.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.load.client import SERVICE_CODE, USSD_PATH, Phones, answers  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.config import load_settings  # noqa: E402
from gateway.db.migrate import upgrade  # noqa: E402
from gateway.wiring import Gateway  # noqa: E402

KINDS = ("first", "language", "menu", "text", "submit")


def kind_of(index: int, total: int) -> str:
    if index == 0:
        return "first"
    if index == 1:
        return "language"
    if index == total - 1:
        return "submit"
    # The typed commune and the description (answers() in benchmarks/load/client.py).
    return "text" if index in (5, 6) else "menu"


async def call(app: Any, body: bytes) -> bytes:
    """One POST through the ASGI app, as uvicorn would make it; the response body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": USSD_PATH,
        "raw_path": USSD_PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"gateway.test"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(chunks)


async def run(sessions: int, database_url: str, profile: bool) -> None:
    secret = secrets.token_urlsafe(48)
    upgrade(database_url)
    settings = load_settings(
        _env_file=None, database_url=database_url, secret_key=secret, log_level="WARNING"
    )
    gateway = Gateway.build(settings)
    app = create_app(settings, gateway)
    phones = Phones()
    cpu: dict[str, list[float]] = defaultdict(list)
    profiler = cProfile.Profile() if profile else None
    wall = time.perf_counter()
    try:
        for number in range(sessions):
            session_id = "ATUid_" + secrets.token_hex(12)
            phone = phones.new()
            inputs: list[str] = []
            script = ["", *answers(number)]
            for index, answer in enumerate(script):
                if index:
                    inputs.append(answer)
                body = urlencode(
                    {
                        "sessionId": session_id,
                        "serviceCode": SERVICE_CODE,
                        "phoneNumber": phone,
                        "networkCode": "61002",
                        "text": "*".join(inputs),
                    }
                ).encode()
                if profiler and number >= 10:
                    profiler.enable()
                started = time.process_time()
                reply = await call(app, body)
                spent = time.process_time() - started
                if profiler:
                    profiler.disable()
                if not reply.startswith((b"CON ", b"END ")) or (index == len(script) - 1) != reply.startswith(
                    b"END"
                ):
                    raise SystemExit(f"hop {index} of session {number}: unexpected {reply[:80]!r}")
                if number >= 10:  # the first sessions warm caches up
                    cpu[kind_of(index, len(script))].append(spent)
    finally:
        await gateway.close()
    wall = time.perf_counter() - wall
    hops = sum(len(v) for v in cpu.values())
    total = sum(sum(v) for v in cpu.values())
    print(
        f"{sessions} sessions, {hops} measured hops, {wall:.1f} s wall; database {database_url.split(':')[0]}"
    )
    print(f"{'kind':<9} {'hops':>6} {'mean ms':>8} {'median':>8} {'p90':>8}")
    for kind in KINDS:
        values = sorted(cpu[kind])
        if values:
            print(
                f"{kind:<9} {len(values):>6} {1000 * statistics.fmean(values):>8.3f} "
                f"{1000 * statistics.median(values):>8.3f} {1000 * values[int(0.9 * (len(values) - 1))]:>8.3f}"
            )
    print(f"{'all':<9} {hops:>6} {1000 * total / hops:>8.3f}   CPU ms per hop, this process")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="an EMPTY test database; default: fresh SQLite")
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'profile.db'}"
        asyncio.run(run(args.sessions, url, args.profile))


if __name__ == "__main__":
    main()
