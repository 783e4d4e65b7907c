"""The floor: the bare endpoint plus the least any USSD gateway must do per hop, one durable write.

A hop cannot be answered before its session's new state is stored (a caller who redials must find
it), so every design pays at least: the HTTP request and form (the bare endpoint), and one statement
that writes a session row and commits. This server does exactly that and nothing else: no menus, no
phone number, no token, no flood control. Measured with the same callers as the gateway, it says
what no design of the hop path can beat on this machine, with this database.

    python -P benchmarks/load/floor.py HOST PORT DATABASE_URL

PostgreSQL: one `INSERT … ON CONFLICT DO UPDATE` per hop through an asyncpg pool of 10 connections
(prepared, no reset), autocommit, as the lean store's pool is set up. SQLite: the same statement with
the standard `sqlite3` module on the event loop's thread, WAL and `synchronous=NORMAL`, as the lean
store does. The table is the floor's own (`bench_floor`), made if missing.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run with -P, as the stub is

from benchmarks.load import stub  # noqa: E402

# About what a session's state takes serialised mid-report (the lean store's JSON).
STATE = '{"f":"report","s":"report.commune","v":{"topic":"security","urgent":true},"l":"fr","h":5}'
UPSERT = (
    "INSERT INTO bench_floor (session_id, hops, state) VALUES ({p1}, 1, {p2}) "
    "ON CONFLICT (session_id) DO UPDATE SET hops = bench_floor.hops + 1, state = excluded.state"
)
TABLE = "CREATE TABLE IF NOT EXISTS bench_floor (session_id TEXT PRIMARY KEY, hops INTEGER NOT NULL, state TEXT NOT NULL)"

Store = Callable[[str], Awaitable[None]]


async def postgres_store(url: str) -> tuple[Store, Callable[[], Awaitable[None]]]:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")

    async def nothing(_: Any) -> None:
        return None

    pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10, reset=nothing)
    await pool.execute(TABLE)
    statement = UPSERT.format(p1="$1", p2="$2")

    async def write(session_id: str) -> None:
        async with pool.acquire() as connection:
            await connection.execute(statement, session_id, STATE)

    return write, pool.close


async def sqlite_store(url: str) -> tuple[Store, Callable[[], Awaitable[None]]]:
    path = url.split("///", 1)[1]
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(TABLE)
    statement = UPSERT.format(p1="?", p2="?")

    async def write(session_id: str) -> None:
        connection.execute(statement, (session_id, STATE))

    async def close() -> None:
        connection.close()

    return write, close


def make_app(url: str) -> FastAPI:
    stores: dict[str, Store] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        opener = postgres_store if url.startswith("postgresql") else sqlite_store
        stores["write"], close = await opener(url)
        yield
        await close()

    app = FastAPI(lifespan=lifespan)

    @app.post(stub.PATH, response_class=PlainTextResponse)
    async def ussd(request: Request) -> PlainTextResponse:
        form = await request.form()
        await stores["write"](str(form["sessionId"]))
        return PlainTextResponse(stub.ANSWER)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


if __name__ == "__main__":
    stub.serve(make_app(sys.argv[3]), sys.argv[1], int(sys.argv[2]))
