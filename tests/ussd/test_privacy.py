"""An anonymous report leaves nothing that leads back to the phone: not in any session of it (the
one it resumed included), not in a contact made during the dial, not in the outbox, not in logs."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import func, select

from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.outbox.provider import LogProvider
from gateway.reports.models import Report
from gateway.retention.sweep import close_idle_sessions
from gateway.security.phone import mask
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway
from tests.helpers import UssdCaller, count, database_dump, leaks

PHONE = "+22376004411"
DESCRIPTION = "Des hommes en armes rackettent au poste * de Hèrèmakono"
# fr, report, security incident, urgent, the commune typed: then the description.
TO_DESCRIPTION = ("1", "1", "1", "1", "Benkadi")
# The send screen: anonymous (no SMS), with my number, with my number and meeting notices, and
# cancel (after "another commune").
ANONYMOUS, NAMED, NAMED_NOTICES, CANCEL = "1", "2", "3", "5"


def phone_forms(gateway: Gateway, phone: str) -> list[str]:
    """What would point at the number: itself, its national digits, its mask, its lookup hash."""
    return [phone, phone[4:], mask(phone), gateway.vault.lookup_hash(phone)]


async def test_resumed_anonymous_report_keeps_no_link_to_the_phone(
    caller: UssdCaller, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    caller.phone = PHONE
    await caller.dial()
    first_session = caller.session_id
    for answer in (*TO_DESCRIPTION, DESCRIPTION):
        await caller.send(answer)
    await caller.dial()
    second_session = caller.session_id
    assert "Anonyme (le plus sur)" in await caller.send("1")  # continue: the send screen
    end = await caller.send(ANONYMOUS)
    assert end.startswith("END ")

    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report))).scalar_one()
        sessions = list((await db.execute(select(UssdSession).order_by(UssdSession.id))).scalars())
    assert report.anonymous
    assert report.contact_id is None
    assert report.description == DESCRIPTION
    assert report.reference in end  # the caller still saw it
    assert len(sessions) == 2
    for session in sessions:
        assert (session.phone_hash, session.contact_id, session.resumed_from) == ("", None, None)
        assert session.state == {}
        assert session.session_id not in (first_session, second_session)
        assert (session.started_at.minute, session.started_at.second) == (0, 0)  # the hour only
    dump = await database_dump(gateway)
    # The description and the reference live in the report row only.
    assert sorted((t, c) for t, c, _ in leaks(dump, [DESCRIPTION, "Hèrèmakono", report.reference])) == [
        ("reports", "description"),
        ("reports", "reference"),
    ]
    # Nothing anywhere names the number, the first-time caller's contact included.
    assert leaks(dump, [*phone_forms(gateway, PHONE), first_session, second_session]) == []
    assert await count(gateway, select(func.count()).select_from(Contact)) == 0
    assert (
        await count(gateway, select(func.count()).select_from(OutboundMessage)) == 0
    )  # no receipt by default


async def test_a_returning_callers_contact_stays_but_keeps_only_days(
    caller: UssdCaller, gateway: Gateway
) -> None:
    await caller.dial()
    await caller.send("1")  # French: the contact is made, for the language
    await caller.dial()  # a later dial, now known
    for answer in TO_DESCRIPTION[1:] + (DESCRIPTION,):
        await caller.send(answer)
    assert (await caller.send(ANONYMOUS)).startswith("END ")
    async with gateway.sessionmaker() as db:
        contact = (await db.execute(select(Contact))).scalar_one()
    assert contact.language == "fr"
    for moment in (contact.created_at, contact.updated_at):
        assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)
    assert leaks(await database_dump(gateway), [DESCRIPTION]) == [("reports", "description", DESCRIPTION)]


@pytest.mark.parametrize("leave", [CANCEL, "00"], ids=["cancel", "main menu"])
async def test_nothing_is_sent_before_the_caller_chooses_how(
    caller: UssdCaller, gateway: Gateway, leave: str
) -> None:
    """The send screen is the confirmation: cancelling on it, or going to the main menu, stores no
    report and sends no SMS."""
    await caller.dial()
    for answer in (*TO_DESCRIPTION, DESCRIPTION):
        await caller.send(answer)
    screen = await caller.send(leave)
    assert await count(gateway, select(func.count()).select_from(Report)) == 0
    assert await count(gateway, select(func.count()).select_from(OutboundMessage)) == 0
    if leave == CANCEL:
        assert screen.startswith("END Signalement annulé")
        assert leaks(await database_dump(gateway), [DESCRIPTION]) == []  # the ended session keeps none of it
    else:
        assert "Que voulez-vous faire" in screen  # the session goes on; its draft ends with it


async def test_a_named_report_keeps_its_receipt_and_contact(caller: UssdCaller, gateway: Gateway) -> None:
    await caller.dial()
    for answer in (*TO_DESCRIPTION, DESCRIPTION):
        await caller.send(answer)
    assert (await caller.send(NAMED)).startswith("END ")
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report))).scalar_one()
        receipt = (await db.execute(select(OutboundMessage))).scalar_one()
        session = (await db.execute(select(UssdSession))).scalar_one()
    assert not report.anonymous
    assert report.contact_id is not None
    assert receipt.contact_id == report.contact_id
    assert not receipt.scrub_after_send
    assert session.phone_hash == gateway.vault.lookup_hash(caller.phone)
    assert DESCRIPTION not in session.last_text  # an ended session keeps no inputs, named or not


async def test_the_provider_repeating_the_last_hop_gets_the_same_end_and_no_second_report(
    caller: UssdCaller, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await caller.dial()
    for answer in (*TO_DESCRIPTION, DESCRIPTION):
        await caller.send(answer)
    end = await caller.send(ANONYMOUS)
    caller.inputs.pop()
    again = await caller.send(ANONYMOUS)  # the same session id and input path, once more
    assert again.startswith("END ")
    assert again == end.replace((await _reference(gateway)), "R-****")
    assert await count(gateway, select(func.count()).select_from(Report)) == 1


async def _reference(gateway: Gateway) -> str:
    async with gateway.sessionmaker() as db:
        return str((await db.execute(select(Report.reference))).scalar_one())


async def test_the_end_of_session_event_finds_an_anonymised_session(
    caller: UssdCaller, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await caller.dial()
    for answer in (*TO_DESCRIPTION, DESCRIPTION):
        await caller.send(answer)
    await caller.send(ANONYMOUS)
    response = await client.post(
        "/callbacks/africastalking/ussd/events",
        data={"sessionId": caller.session_id, "status": "Success", "durationInMillis": "41000"},
    )
    assert response.status_code == 200
    async with gateway.sessionmaker() as db:
        session = (await db.execute(select(UssdSession))).scalar_one()  # no second row made
    assert session.end_status == "Success"
    assert session.end_reported_at is not None
    assert session.end_reported_at.minute == 0
    assert session.session_id != caller.session_id


async def test_a_draft_nobody_sent_is_forgotten_after_the_resume_window(
    caller: UssdCaller, gateway: Gateway
) -> None:
    await caller.dial()
    for answer in (*TO_DESCRIPTION, DESCRIPTION):
        await caller.send(answer)
    for closed in (1, 0):
        async with gateway.sessionmaker() as db, db.begin():
            assert await close_idle_sessions(db, utcnow()) == closed
    async with gateway.sessionmaker() as db:
        session = (await db.execute(select(UssdSession))).scalar_one()
    assert (session.phone_hash, session.contact_id, session.state, session.outcome) == (
        "",
        None,
        {},
        "dropped",
    )
    # The contact made for the language choice stays (the caller is known); the draft is gone.
    found = leaks(await database_dump(gateway), [DESCRIPTION, gateway.vault.lookup_hash(caller.phone)])
    assert [(table, column) for table, column, _ in found] == [("contacts", "phone_hash")]
    assert (await caller.dial()).startswith("CON ")
    assert "terminé" not in await caller.dial()  # nothing left to resume


async def test_nothing_in_the_logs_ties_the_number_or_session_to_the_report(
    caller: UssdCaller, gateway: Gateway, make_dispatcher: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="gateway")  # our own code at its most talkative
    await caller.dial()
    for answer in (*TO_DESCRIPTION, DESCRIPTION):
        await caller.send(answer)
    await caller.send(NAMED)  # a receipt by SMS, sent and logged
    await make_dispatcher(LogProvider()).dispatch_once()  # type: ignore[operator]
    lines = [record.getMessage() for record in caplog.records]
    forms = [*phone_forms(gateway, caller.phone), caller.session_id[-8:]]
    assert [line for line in lines if any(form in line for form in forms)] == []


async def test_flooding_is_counted_for_anonymous_reports_too(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    caller = UssdCaller(client, "+22376004412")
    limit = gateway.settings.flood_ussd_sessions_per_min
    for _ in range(limit):
        await caller.dial()
        for answer in (*TO_DESCRIPTION, f"{DESCRIPTION} {_}"):
            await caller.send(answer)
        assert (await caller.send(ANONYMOUS)).startswith("END ")
    assert (await caller.dial()).startswith("END ")  # the limit holds though no session kept the number
    assert await count(gateway, select(func.count()).select_from(Report)) == limit
    async with gateway.sessionmaker() as db:
        sessions = list((await db.execute(select(UssdSession.phone_hash))).scalars())
    assert sessions.count("") == limit
