"""Sending a report on the lean path (ussd/lean_report.py): the same report, receipt, contact and
ended session as the full path leaves; the cases it leaves to the full path (anonymous, a
subscription, an urgent alert to members); and nothing kept of a hop that fails or loses its
guard half way."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from gateway.committees.service import NewMember
from gateway.contacts.models import Contact
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.ussd import lean_report
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway
from tests.helpers import MakeCommittee, UssdCaller, empty_tables
from tests.ussd.lean_support import FullPath, LeanOff, hop_class, session_row, warm

# French, report a problem, security incident: the urgency screen.
TO_URGENCY = ("1", "1", "1")
SERIOUS, URGENT = "2", "1"
# The commune, typed with a letter wrong (Sikasso cercle), then the send screen's choices.
COMMUNE = "Lobougula"
ANONYMOUS, NAMED, NAMED_NOTICES = "1", "2", "3"


async def report(caller: UssdCaller, urgency: str = SERIOUS, how: str = NAMED) -> str:
    await caller.dial()
    for answer in (*TO_URGENCY, urgency, COMMUNE, "Des hommes armés au marché, 3*2 motos"):
        assert (await caller.send(answer)).startswith("CON ")
    return await caller.send(how)


async def what_it_left(gateway: Gateway, session_id: str, last_path: str) -> dict[str, Any]:
    """Every column of the report, its receipt, the contact and the session, without what differs
    by nature between two runs (ids, the random reference, ciphertexts, moments)."""
    async with gateway.sessionmaker() as db:
        made = (await db.execute(select(Report))).scalar_one()
        contact = (await db.execute(select(Contact))).scalar_one()
        messages = list((await db.execute(select(OutboundMessage))).scalars())
    row = await session_row(gateway, session_id)  # named: the session keeps its id and phone hash
    assert row.phone_hash
    reference = made.reference

    def columns(obj: Any, skip: tuple[str, ...]) -> dict[str, Any]:
        out = {}
        for column in obj.__table__.columns:
            value = getattr(obj, column.key)
            if column.key in skip:
                continue
            out[column.key] = value.replace(reference, "R-?") if isinstance(value, str) else value
        return out

    assert made.contact_id == contact.id
    assert made.placed_at == made.created_at
    assert [gateway.vault.decrypt(m.phone_encrypted) for m in messages] == [
        gateway.vault.decrypt(contact.phone_encrypted)
    ] * len(messages)
    for moment in (row.started_at, row.updated_at, row.ended_at):
        assert moment is not None
        assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)  # hours only
    return {
        "report": columns(made, ("id", "reference", "created_at", "placed_at", "contact_id")),
        "messages": [
            columns(m, ("id", "created_at", "next_attempt_at", "contact_id", "phone_encrypted"))
            for m in messages
        ],
        "contact": columns(contact, ("id", "phone_encrypted")),
        "session": columns(
            row, ("id", "session_id", "contact_id", "started_at", "updated_at", "ended_at", "last_text")
        ),
        "last_text_is_a_digest": row.last_text == gateway.pseudonyms.input_path(last_path),
    }


@pytest.mark.parametrize("urgency", [SERIOUS, URGENT], ids=["serious", "urgent, no member for the place"])
async def test_a_named_report_leaves_what_the_full_path_leaves(
    client: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch, urgency: str
) -> None:
    await warm(gateway)
    full = FullPath(gateway, monkeypatch)
    caller = UssdCaller(client, "+22376000201")
    lean_done = await report(caller, urgency)
    assert full.calls == 0
    assert lean_done.startswith("END ")
    lean = await what_it_left(gateway, caller.session_id, "*".join(caller.inputs))
    async with gateway.sessionmaker() as db, db.begin():
        await empty_tables(db)

    with monkeypatch.context() as m:
        LeanOff(gateway, m)
        full_done = await report(caller, urgency)
        assert full.calls == 8  # every hop of the same report
        assert await what_it_left(gateway, caller.session_id, "*".join(caller.inputs)) == lean
    assert lean_done.split("R-")[0] == full_done.split("R-")[0]
    assert len(lean["messages"]) == 1  # the receipt
    assert lean["report"]["status"] == "new"


async def test_anonymous_reports_subscriptions_and_alerts_are_the_full_paths(
    client: httpx.AsyncClient,
    gateway: Gateway,
    monkeypatch: pytest.MonkeyPatch,
    make_committee: MakeCommittee,
) -> None:
    await warm(gateway)
    full = FullPath(gateway, monkeypatch)
    await report(UssdCaller(client, "+22376000202"), SERIOUS, ANONYMOUS)
    assert full.calls == 1  # only the last hop
    await report(UssdCaller(client, "+22376000203"), SERIOUS, NAMED_NOTICES)
    assert full.calls == 2
    await make_committee("Sikasso", ["cercle:Sikasso"], [NewMember("Maire", "+22376000299", "fr")])
    await report(UssdCaller(client, "+22376000204"), URGENT)
    assert full.calls == 3
    async with gateway.sessionmaker() as db:
        kinds = list((await db.execute(select(OutboundMessage.kind).order_by(OutboundMessage.id))).scalars())
        statuses = list((await db.execute(select(Report.status).order_by(Report.id))).scalars())
    # The anonymous one asked for no SMS; the urgent one's members are alerted after its receipt.
    assert kinds == ["receipt", "receipt", "alert"]
    assert statuses == ["new", "new", "forwarded"]


async def test_a_row_moved_on_meanwhile_leaves_nothing_and_the_report_is_sent_once(
    client: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await warm(gateway)
    send = hop_class(gateway).send_report
    outcomes: list[str] = []

    async def moved_on(self: Any, write: Any) -> str:
        if not outcomes:
            # Another process answers the hop between this one's read and its write: the guard
            # fails, and nothing of the report may be left behind.
            async with gateway.sessionmaker() as db, db.begin():
                await db.execute(
                    update(UssdSession)
                    .where(UssdSession.id == write.session_id)
                    .values(hops=write.read_hops + 1)
                )
            outcomes.append(await send(self, write))
            async with gateway.sessionmaker() as db, db.begin():
                await db.execute(
                    update(UssdSession).where(UssdSession.id == write.session_id).values(hops=write.read_hops)
                )
            return outcomes[-1]
        return str(await send(self, write))

    monkeypatch.setattr(hop_class(gateway), "send_report", moved_on)
    full = FullPath(gateway, monkeypatch)
    done = await report(UssdCaller(client, "+22376000205"))
    assert outcomes == ["lost"]
    assert done.startswith("END ")
    assert full.calls == 0  # read again from the row, and sent the lean way after all
    async with gateway.sessionmaker() as db:
        reports = (await db.execute(select(func.count()).select_from(Report))).scalar_one()
        messages = (await db.execute(select(func.count()).select_from(OutboundMessage))).scalar_one()
    assert (reports, messages) == (1, 1)


async def test_a_reference_already_taken_is_the_full_paths_to_replace(
    client: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch, make_report: Any
) -> None:
    await warm(gateway)
    taken = (await make_report("Zégoua")).reference
    monkeypatch.setattr(lean_report, "candidate_references", lambda: iter([taken]))
    full = FullPath(gateway, monkeypatch)
    done = await report(UssdCaller(client, "+22376000207"))
    assert full.calls == 1
    assert taken not in done
    async with gateway.sessionmaker() as db:
        references = set((await db.execute(select(Report.reference))).scalars())
    assert len(references) == 2
    assert taken in references


async def test_a_failure_half_way_keeps_nothing_of_the_hop(
    client: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await warm(gateway)
    caller = UssdCaller(client, "+22376000206")
    await caller.dial()
    for answer in (*TO_URGENCY, SERIOUS, COMMUNE, "Vol de bétail"):
        await caller.send(answer)
    before = await session_row(gateway, caller.session_id)
    values = gateway.outbox.message_values

    def broken(**kwargs: Any) -> dict[str, Any]:
        return values(**kwargs) | {"body": None}  # the receipt cannot be stored: after the report

    monkeypatch.setattr(gateway.outbox, "message_values", broken)
    apology = await caller.send(NAMED)
    assert apology.startswith("END ")
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(func.count()).select_from(Report))).scalar_one() == 0
    after = await session_row(gateway, caller.session_id)
    assert (after.hops, after.ended_at, after.state) == (before.hops, None, before.state)
    monkeypatch.undo()
    # The caller dials again: the draft is offered, nothing was lost.
    assert "1" in await caller.dial()
