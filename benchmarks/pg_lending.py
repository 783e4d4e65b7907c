"""What lending a PostgreSQL connection to a hop costs: asyncpg's Pool against the lean path's
ConnectionLender (gateway/ussd/pg_lender.py), CPU of this process per use, on uvloop as served.

    .venv/bin/python benchmarks/pg_lending.py [--database-url URL] [--uses N]

Each way: N uses lending and taking back a connection with nothing done on it, then N/4 uses each
running one `SELECT $1::int`; and the same statement on a connection held throughout, for scale.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import asyncpg  # noqa: E402
import uvloop  # noqa: E402

from gateway.ussd.pg_lender import ConnectionLender  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


async def per_use(uses: int, use: Callable[[], Awaitable[Any]]) -> float:
    """Microseconds of this process's CPU per use."""
    started = time.process_time()
    for _ in range(uses):
        await use()
    return (time.process_time() - started) / uses * 1e6


async def run(url: str, uses: int) -> None:
    async def nothing(_connection: Any) -> None:
        return None

    pool = await asyncpg.create_pool(url, min_size=5, max_size=5, reset=nothing)
    lender = ConnectionLender(url, 5)
    held = await asyncpg.connect(url)
    try:

        async def pool_lend() -> None:
            async with pool.acquire():
                pass

        async def pool_select() -> None:
            async with pool.acquire() as connection:
                await connection.execute("SELECT $1::int", 1)

        async def lender_lend() -> None:
            lender.give_back(await lender.take())

        async def lender_select() -> None:
            connection = await lender.take()
            try:
                await connection.execute("SELECT $1::int", 1)
            finally:
                lender.give_back(connection)

        async def held_select() -> None:
            await held.execute("SELECT $1::int", 1)

        for use in (pool_select, lender_select, held_select):
            await per_use(200, use)  # connections opened, statements prepared
        print(
            f"lend and take back:      asyncpg Pool {await per_use(uses, pool_lend):6.1f} µs, "
            f"ConnectionLender {await per_use(uses, lender_lend):6.1f} µs"
        )
        print(
            f"one SELECT through them: asyncpg Pool {await per_use(uses // 4, pool_select):6.1f} µs, "
            f"ConnectionLender {await per_use(uses // 4, lender_select):6.1f} µs, "
            f"held connection {await per_use(uses // 4, held_select):6.1f} µs"
        )
    finally:
        await held.close()
        await lender.close()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--uses", type=int, default=20_000)
    args = parser.parse_args()
    url = args.database_url.replace("postgresql+asyncpg://", "postgresql://")
    uvloop.run(run(url, args.uses))


if __name__ == "__main__":
    main()
