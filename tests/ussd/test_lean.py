"""The lean hop (ussd/lean.py, ussd/store.py): menu hops, first hops and the language choice
without the ORM, and every case it hands to the full path — a repeat, a row or a contact another
process moved on, a flood, a draft to resume, SQLite's lock taken elsewhere, a dead connection —
giving the same answers, and leaving the same rows, as the full path."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import URL, make_url

from gateway.app import create_app
from gateway.contacts.models import Contact
from gateway.contacts.service import get_or_create_contact
from gateway.flood.models import FloodMark
from gateway.ussd.models import UssdSession
from gateway.ussd.service import HopContext, UssdRequest
from gateway.ussd.store import ContactLanguage, MenuHopWrite, NewSessionRow, session_store
from gateway.wiring import Gateway
from tests.helpers import UssdCaller, empty_tables
from tests.ussd.lean_support import FullPath, LeanOff, hop_class, session_row, warm

TO_TOPIC = ("1", "1")  # French, report a problem: now on the topic menu


async def test_menu_answers_and_text_go_the_lean_way(
    caller: UssdCaller, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await caller.dial()
    for answer in TO_TOPIC:
        await caller.send(answer)
    full = FullPath(gateway, monkeypatch)
    # topic, urgency, the commune typed (matched in memory), one close to two communes, the pick
    for answer in ("1", "1", "Benkadi", "0", "Kourouma", "1"):
        assert (await caller.send(answer)).startswith("CON ")
    assert full.calls == 0
    row = await session_row(gateway, caller.session_id)
    assert row.state["at"] == "report:description"
    assert row.in_report


async def test_a_repeated_hop_gets_the_same_answer_and_changes_nothing(
    caller: UssdCaller, gateway: Gateway
) -> None:
    await caller.dial()
    for answer in TO_TOPIC:
        await caller.send(answer)
    first = await caller.send("2")
    hops = (await session_row(gateway, caller.session_id)).hops
    caller.inputs.pop()
    assert await caller.send("2") == first
    assert (await session_row(gateway, caller.session_id)).hops == hops


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
    assert (await session_row(gateway, caller.session_id)).hops == 4  # written once, by the winner


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
    assert (await session_row(gateway, caller.session_id)).state["at"] == "report:urgency"


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
    assert (await session_row(gateway, caller.session_id)).state["at"] == "report:urgency"


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
    row = await session_row(gateway, caller.session_id)
    assert (row.hops, row.state["at"]) == (4, "report:urgency")


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
    # The caller's next answer is to the urgency screen that process left them on: read again.
    caller.inputs.append("1")
    assert (await caller.send("1")).startswith("CON ")
    row = await session_row(gateway, caller.session_id)
    assert (row.hops, row.state["at"]) == (5, "report:place_name")


# -- the first hop and the language choice ------------------------------------------------------


async def _journey(gateway: Gateway, caller: UssdCaller) -> list[str]:
    """A first-time caller: the dial, French (the main menu); then a second dial, now known."""
    await warm(gateway)
    screens = [await caller.dial(), await caller.send("1")]
    first = caller.session_id
    screens.append(await caller.dial())
    caller.session_id = first
    return screens


async def _what_it_left(gateway: Gateway, caller: UssdCaller, second: str) -> dict[str, Any]:
    async with gateway.sessionmaker() as db:
        contact = (await db.execute(select(Contact))).scalar_one()
        marks = (await db.execute(select(func.count()).select_from(FloodMark))).scalar_one()
    rows = [await session_row(gateway, caller.session_id), await session_row(gateway, second)]
    out: dict[str, Any] = {
        "contact": (contact.language, contact.created_at, contact.updated_at),
        "marks": marks,
    }
    for n, row in enumerate(rows):
        assert row.contact_id == contact.id
        assert row.state["caller"].pop("id") == contact.id
        out[f"row{n}"] = (
            row.hops,
            row.last_text,
            row.last_response,
            row.last_screen,
            row.language,
            row.in_report,
            row.phone_hash,
            row.provider,
            row.service_code,
            row.network_code,
            row.state,
            row.started_at <= row.updated_at,
            row.ended_at,
        )
    return out


async def test_first_hops_and_the_language_choice_leave_what_the_full_path_leaves(
    client: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = FullPath(gateway, monkeypatch)
    lean_caller = UssdCaller(client, "+22376000101")
    lean_screens = await _journey(gateway, lean_caller)
    assert full.calls == 0  # every hop of it lean
    second = lean_caller.session_id
    lean = await _what_it_left(gateway, lean_caller, second)
    async with gateway.sessionmaker() as db, db.begin():
        await empty_tables(db)

    with monkeypatch.context() as m:
        LeanOff(gateway, m)
        full_caller = UssdCaller(client, "+22376000101")
        full_screens = await _journey(gateway, full_caller)
        assert full.calls == 3
        assert full_screens == lean_screens
        assert await _what_it_left(gateway, full_caller, full_caller.session_id) == lean
    assert lean["row0"][-3]["caller"]["new"] is True  # a first-time caller's contact, made now
    assert lean["contact"][1].hour == lean["contact"][2].hour == 0  # days, not moments


async def test_a_flood_and_a_draft_to_resume_are_the_full_paths(
    client: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = FullPath(gateway, monkeypatch)
    caller = UssdCaller(client, "+22376000102")
    await warm(gateway)
    await caller.dial()
    for answer in (*TO_TOPIC, "1"):
        await caller.send(answer)
    assert full.calls == 0
    # Cut off in the middle of a report: the next dial offers to resume it.
    offer = await caller.dial()
    assert full.calls == 1
    assert (await session_row(gateway, caller.session_id)).state.get("resume_from")
    assert offer.startswith("CON ")
    for _ in range(gateway.settings.flood_ussd_sessions_per_min):
        await UssdCaller(client, "+22376000103").dial()
    calls = full.calls
    flooded = await UssdCaller(client, "+22376000103").dial()
    assert flooded.startswith("END ")
    assert full.calls == calls + 1


async def test_a_first_hop_another_process_answered_meanwhile_is_answered_once(
    caller: UssdCaller, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_class = hop_class(gateway)
    facts = store_class.first_facts
    answered: list[str] = []

    async def racing(self: Any, query: Any) -> Any:
        found = await facts(self, query)
        if not answered:
            # Another process makes the row (and answers the hop) between our read and our write.
            request = UssdRequest(
                "africastalking", caller.session_id, caller.phone, "", "*384*1234#", "61002"
            )
            async with gateway.sessionmaker() as db, db.begin():
                answered.append((await gateway.ussd.handle(db, request, HopContext())).text)
        return found

    monkeypatch.setattr(store_class, "first_facts", racing)
    caller.session_id = "ATUid_raced"
    await warm(gateway)
    assert await caller._post("") == "CON " + answered[0]
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(func.count()).select_from(FloodMark))).scalar_one() == 1
    assert (await session_row(gateway, caller.session_id)).hops == 1


async def test_a_contact_made_meanwhile_is_the_callers_and_not_made_twice(
    caller: UssdCaller, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await warm(gateway)
    await caller.dial()
    save = hop_class(gateway).save_with_contact
    made: list[int] = []

    async def racing(self: Any, *args: Any) -> Any:
        if not made:
            # An SMS from the same number makes its contact while the caller chooses a language.
            async with gateway.sessionmaker() as db, db.begin():
                made.append((await get_or_create_contact(db, gateway.vault, caller.phone)).id)
        return await save(self, *args)

    monkeypatch.setattr(hop_class(gateway), "save_with_contact", racing)
    assert (await caller.send("2")).startswith("CON ")  # Bambara
    async with gateway.sessionmaker() as db:
        contact = (await db.execute(select(Contact))).scalar_one()
    row = await session_row(gateway, caller.session_id)
    assert (contact.id, contact.language) == (made[0], "bm")
    assert (row.contact_id, row.language) == (contact.id, "bm")
    assert "new" not in row.state["caller"]  # not made by this dial: an anonymous report keeps it


async def test_the_store_writes_nothing_when_its_guard_fails(gateway: Gateway, caller: UssdCaller) -> None:
    await caller.dial()
    row = await session_row(gateway, caller.session_id)
    write = MenuHopWrite(2, "9", "x:y", "fr", "…", False, "{}", None)
    async with gateway.session_store.connect() as connection:
        again = NewSessionRow(caller.session_id, "africastalking", "", "", "h", "k", write)
        assert await connection.create(again, datetime.now(UTC)) is None  # the row exists
        gone = ContactLanguage("fr", 10**9)  # a contact deleted meanwhile
        assert await connection.save_with_contact(row.id, row.hops, gone, lambda _id: write) is None
        assert (
            await connection.save_with_contact(
                row.id, row.hops + 5, ContactLanguage("fr", None, "h", ("h",), "e"), lambda _id: write
            )
            is None
        )
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(func.count()).select_from(FloodMark))).scalar_one() == 1
        assert (await db.execute(select(func.count()).select_from(Contact))).scalar_one() == 0
    after = await session_row(gateway, caller.session_id)
    assert (after.hops, after.last_text, after.state) == (row.hops, row.last_text, row.state)


@pytest.mark.parametrize("stand_in_in_text", [False, True], ids=["one statement", "stand-in in the state"])
async def test_a_new_contacts_language_names_its_id_in_the_state(
    gateway: Gateway, caller: UssdCaller, stand_in_in_text: bool
) -> None:
    # PostgreSQL writes the new contact and the row in one statement, the state's copy of the
    # contact id filled in by the statement; where the stand-in number could stand for something
    # else in the state, the transaction of four round trips does it (and SQLite always does).
    from gateway.ussd.store import _PostgresHop

    await caller.dial()
    row = await session_row(gateway, caller.session_id)
    extra = f"note {_PostgresHop.STAND_IN}" if stand_in_in_text else "note"
    change = ContactLanguage("bm", None, "hash-1", ("hash-1",), "encrypted-1")

    def write_for(contact_id: int) -> MenuHopWrite:
        state = f'{{"caller":{{"id":{contact_id},"new":true}},"extra":"{extra}"}}'
        return MenuHopWrite(row.hops + 1, "2", "main:home", "bm", "…", False, state, contact_id)

    async with gateway.session_store.connect() as connection:
        write = await connection.save_with_contact(row.id, row.hops, change, write_for)
    assert write is not None
    async with gateway.sessionmaker() as db:
        contact = (await db.execute(select(Contact))).scalar_one()
    after = await session_row(gateway, caller.session_id)
    assert (after.contact_id, after.hops, after.language) == (contact.id, row.hops + 1, "bm")
    assert after.state == {"caller": {"id": contact.id, "new": True}, "extra": extra}
    assert write.state_json == write_for(contact.id).state_json


async def test_the_lean_store_reaches_postgresql_over_its_unix_socket(gateway: Gateway) -> None:
    # docs/operations.md shows `?host=/var/run/postgresql` for a PostgreSQL on the same
    # machine; the lean path's own pool must read the URL as SQLAlchemy does.
    socket_dir = "/var/run/postgresql"
    if gateway.settings.is_sqlite or not Path(socket_dir, ".s.PGSQL.5432").exists():
        pytest.skip("PostgreSQL on this machine, with its socket")
    tcp = make_url(gateway.settings.database_url)

    def store_at(directory: str) -> Any:
        url = URL.create(
            tcp.drivername, tcp.username, tcp.password, database=tcp.database, query={"host": directory}
        )
        return session_store(url.render_as_string(hide_password=False), 1)

    store = store_at(socket_dir)
    try:
        async with store.connect() as connection:
            assert await connection.load(("no such session",)) is None
    finally:
        await store.close()
    nowhere = store_at("/nonexistent-socket-dir")  # the URL's host is what is used
    with pytest.raises(FileNotFoundError):
        async with nowhere.connect():
            pass
    await nowhere.close()
