"""The lean path's PostgreSQL connections (gateway/ussd/pg_lender.py): never more than its size
open, hops waiting first come first served, a broken or server-closed connection replaced, a hop
cancelled while waiting losing nothing, and closing ends every wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from gateway.ussd.pg_lender import ConnectionLender, LenderClosed, LenderTimeout
from gateway.wiring import Gateway


@pytest.fixture
async def lender(gateway: Gateway) -> AsyncIterator[ConnectionLender]:
    if gateway.settings.is_sqlite:
        pytest.skip("PostgreSQL connections")
    url = gateway.settings.database_url
    made = ConnectionLender("postgresql://" + url.split("://", 1)[1], 2, wait_s=0.5)
    yield made
    await made.close()


async def until_waiting(lender: ConnectionLender, hops: int) -> None:
    """Until `hops` hops wait for a connection (the tasks made have run up to their wait)."""
    for _ in range(10_000):
        if lender.waiting == hops:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{lender.waiting} hops waiting, not {hops}")


async def test_lends_at_most_its_size_and_serves_waiters_in_turn(lender: ConnectionLender) -> None:
    first, second = await lender.take(), await lender.take()
    assert first is not second
    assert lender.open_connections == 2
    order: list[str] = []

    async def hop(name: str) -> None:
        connection = await lender.take()
        order.append(name)
        assert await connection.fetchval("SELECT 1") == 1
        lender.give_back(connection)

    waiting = [asyncio.create_task(hop("third")), asyncio.create_task(hop("fourth"))]
    await until_waiting(lender, 2)
    assert order == []
    assert lender.open_connections == 2  # all lent: they wait, none is opened
    lender.give_back(first)
    await asyncio.gather(*waiting)
    assert order == ["third", "fourth"]
    lender.give_back(second)
    assert lender.open_connections == 2


async def test_a_broken_connection_is_terminated_and_its_place_reopened(lender: ConnectionLender) -> None:
    first, second = await lender.take(), await lender.take()
    waiter = asyncio.create_task(lender.take())
    await until_waiting(lender, 1)
    lender.give_back(first, broken=True)
    third = await asyncio.wait_for(waiter, 10)
    assert third is not first
    assert first.is_closed()
    assert await third.fetchval("SELECT 2") == 2
    assert lender.open_connections == 2
    lender.give_back(second)
    lender.give_back(third)


async def test_a_connection_the_server_closed_while_idle_is_not_lent(
    lender: ConnectionLender, gateway: Gateway
) -> None:
    connection = await lender.take()
    pid = connection.get_server_pid()
    lender.give_back(connection)
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    for _ in range(1000):  # the client learns of it when it reads the server's goodbye (10 s at most)
        if connection.is_closed():
            break
        await asyncio.sleep(0.01)
    fresh = await lender.take()
    assert fresh.get_server_pid() != pid
    assert await fresh.fetchval("SELECT 3") == 3
    assert lender.open_connections == 1
    lender.give_back(fresh)


async def test_a_hop_cancelled_while_waiting_loses_no_connection(lender: ConnectionLender) -> None:
    first, second = await lender.take(), await lender.take()
    cancelled = asyncio.create_task(lender.take())
    served = asyncio.create_task(lender.take())
    await until_waiting(lender, 2)
    lender.give_back(first)  # handed to the first waiter…
    cancelled.cancel()  # …which is cancelled before it runs: it must pass the connection on
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await asyncio.wait_for(served, 10) is first
    lender.give_back(first)
    lender.give_back(second)
    assert lender.open_connections == 2
    again = [await lender.take(), await lender.take()]
    assert {id(c) for c in again} == {id(first), id(second)}
    for connection in again:
        lender.give_back(connection)


async def test_closing_ends_every_wait(lender: ConnectionLender) -> None:
    held = [await lender.take(), await lender.take()]
    waiter = asyncio.create_task(lender.take())
    await until_waiting(lender, 1)
    await lender.close()
    with pytest.raises(LenderClosed):
        await waiter
    with pytest.raises(LenderClosed):
        await lender.take()
    for connection in held:
        lender.give_back(connection)  # back after closing: closed, not kept
        assert connection.is_closed()
    assert lender.open_connections == 0


async def test_a_hop_waits_at_most_its_time_then_fails(lender: ConnectionLender) -> None:
    held = [await lender.take(), await lender.take()]
    with pytest.raises(LenderTimeout, match="within 0.5 s"):
        await lender.take()
    assert lender.waiting == 0
    lender.give_back(held[0])  # the timed-out hop took nothing: the next one is served
    again = await lender.take()
    assert again is held[0]
    for connection in (again, held[1]):
        lender.give_back(connection)
    assert lender.open_connections == 2
