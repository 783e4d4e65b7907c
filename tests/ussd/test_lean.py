"""The lean hop (ussd/lean.py, ussd/store.py): menu hops without the ORM, and every case it hands
to the full path — a repeat, a row another process moved on, SQLite's lock taken elsewhere, a
dead connection — giving the same answers the full path gives."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from gateway.app import create_app
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway
from tests.helpers import UssdCaller

TO_TOPIC = ("1", "1")  # French, report a problem: now on the topic menu


class FullPath:
    """Counts the hops the full path answers."""

    def __init__(self, gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.entered = asyncio.Event()
        handle = gateway.ussd.handle

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.entered.set()
            return await handle(*args, **kwargs)

        monkeypatch.setattr(gateway.ussd, "handle", counted)


async def _row(gateway: Gateway, session_id: str) -> UssdSession:
    async with gateway.sessionmaker() as db:
        return (
            await db.execute(select(UssdSession).where(UssdSession.session_id == session_id))
        ).scalar_one()


async def test_menu_answers_and_text_go_the_lean_way(
    caller: UssdCaller, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await caller.dial()
    for answer in TO_TOPIC:
        await caller.send(answer)
    full = FullPath(gateway, monkeypatch)
    for answer in ("1", "1", "3", "1", "1"):  # topic, country, cercle, commune, urgency
        assert (await caller.send(answer)).startswith("CON ")
    assert full.calls == 0
    row = await _row(gateway, caller.session_id)
    assert row.state["at"] == "report:description"
    assert row.in_report


async def test_a_repeated_hop_gets_the_same_answer_and_changes_nothing(
    caller: UssdCaller, gateway: Gateway
) -> None:
    await caller.dial()
    for answer in TO_TOPIC:
        await caller.send(answer)
    first = await caller.send("2")
    hops = (await _row(gateway, caller.session_id)).hops
    caller.inputs.pop()
    assert await caller.send("2") == first
    assert (await _row(gateway, caller.session_id)).hops == hops


async def test_a_row_another_process_moved_on_goes_the_full_way(
    caller: UssdCaller, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await caller.dial()
    for answer in TO_TOPIC:
        await caller.send(answer)
    handle = gateway.engine.handle
    raced: list[str] = []

    async def racing(state: dict[str, Any], user_input: str, runtime: Any) -> Any:
        reply = await handle(state, user_input, runtime)
        if not raced:
            # Another process answers this very hop between our read and our write.
            raced.append(reply.text)
            async with gateway.sessionmaker() as db, db.begin():
                await db.execute(
                    update(UssdSession)
                    .where(UssdSession.session_id == caller.session_id)
                    .values(
                        hops=UssdSession.hops + 1,
                        last_text="1*1*2",
                        last_response=reply.text,
                        last_screen=reply.screen,
                        state=state,
                    )
                )
        return reply

    monkeypatch.setattr(gateway.engine, "handle", racing)
    screen = await caller.send("2")
    # Our guarded write lost; read again, the row shows that very hop answered: its answer.
    assert screen == "CON " + raced[0]
    assert (await _row(gateway, caller.session_id)).hops == 4  # written once, by the winner


async def test_sqlite_busy_elsewhere_hands_the_hop_to_the_full_path(
    caller: UssdCaller, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not gateway.settings.is_sqlite:
        pytest.skip("SQLite's one write lock")
    await caller.dial()
    for answer in TO_TOPIC:
        await caller.send(answer)
    holder = sqlite3.connect(gateway.settings.database_url.split(":///", 1)[1], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer in another process, say `gateway purge`
    full = FullPath(gateway, monkeypatch)
    hop = asyncio.create_task(caller.send("1"))
    try:
        await asyncio.wait_for(full.entered.wait(), 10)  # the lean path gave up without waiting
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert (await asyncio.wait_for(hop, 30)).startswith("CON ")
    assert full.calls == 1
    assert (await _row(gateway, caller.session_id)).state["at"] == "report:place_country"


async def test_a_dead_postgresql_connection_is_retried_once(caller: UssdCaller, gateway: Gateway) -> None:
    if gateway.settings.is_sqlite:
        pytest.skip("PostgreSQL connections")
    await caller.dial()
    for answer in TO_TOPIC:
        await caller.send(answer)
    async with gateway.sessionmaker() as db, db.begin():
        # The server drops every other connection (a restart, an idle timeout, a failover).
        await db.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND application_name = ''"
            )
        )
    assert (await caller.send("1")).startswith("CON ")
    assert (await _row(gateway, caller.session_id)).state["at"] == "report:place_country"


async def test_a_connection_found_dead_mid_hop_is_replaced_and_the_hop_done_once(
    caller: UssdCaller, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    if gateway.settings.is_sqlite:
        pytest.skip("PostgreSQL connections")
    import asyncpg

    from gateway.ussd import store

    await caller.dial()
    for answer in TO_TOPIC:
        await caller.send(answer)
    save = store._PostgresHop.save
    failures = [asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")]

    async def once_dead(self: Any, *args: Any) -> Any:
        if failures:
            raise failures.pop()
        return await save(self, *args)

    monkeypatch.setattr(store._PostgresHop, "save", once_dead)
    assert (await caller.send("1")).startswith("CON ")
    assert failures == []
    row = await _row(gateway, caller.session_id)
    assert (row.hops, row.state["at"]) == (4, "report:place_country")


async def test_a_session_another_process_served_since_is_read_again(
    caller: UssdCaller, gateway: Gateway
) -> None:
    await caller.dial()
    for answer in TO_TOPIC:
        await caller.send(answer)  # this process remembers the row as it wrote it
    # Another process (another app on the same database) serves the next hop: the topic.
    elsewhere = Gateway.build(gateway.settings)
    try:
        app = create_app(gateway.settings, elsewhere)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://other"
        ) as client:
            other = UssdCaller(client, caller.phone)
            other.session_id, other.inputs = caller.session_id, list(caller.inputs)
            assert (await other.send("1")).startswith("CON ")
    finally:
        await elsewhere.close()
    # The caller's next answer is to the country screen that process left them on: read again.
    caller.inputs.append("1")
    assert (await caller.send("1")).startswith("CON ")
    row = await _row(gateway, caller.session_id)
    assert (row.hops, row.state["at"]) == (5, "report:place_province")
