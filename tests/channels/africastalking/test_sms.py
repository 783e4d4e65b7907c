"""AT SMS callbacks, table-driven: incoming messages, delivery reports, opt-outs."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import func, select

from gateway.outbox.models import DeliveryEvent, OutboundMessage
from gateway.sms.models import InboundMessage
from gateway.wiring import Gateway
from tests.helpers import sent_message

SMS_URL = "/callbacks/africastalking/sms"
DLR_URL = "/callbacks/africastalking/delivery-reports"
OPT_OUT_URL = "/callbacks/africastalking/opt-out"
INCOMING = {
    "from": "+22376000001",
    "to": "28901",
    "text": "Des hommes armés sur la route de Zégoua",
    "date": "2026-11-24 08:34:18",
    "id": "ec9a7d5c-1a10-4b8f-a0b5-6ab1c1d2e3f4",
    "networkCode": "61002",
}


@dataclass
class Case:
    label: str
    form: dict[str, str] | None
    status: int
    says: str = ""
    stored: int = 1
    body: bytes | None = None
    extra: list[str] = field(default_factory=list)


INCOMING_CASES = [
    Case("valid", INCOMING, 200, "stored"),
    Case("ISO date with Z", {**INCOMING, "date": "2018-03-19T08:34:18.445Z"}, 200, "stored"),
    Case("a date the database cannot hold", {**INCOMING, "date": "9999-12-31T23:59:59-14:00"}, 200, "stored"),
    Case("a date that is no date", {**INCOMING, "date": "demain"}, 200, "stored"),
    Case(
        "no date, no to, linkId empty",
        {k: v for k, v in INCOMING.items() if k not in ("date", "to")} | {"linkId": ""},
        200,
    ),
    Case("missing from", {k: v for k, v in INCOMING.items() if k != "from"}, 400, "field 'from' required", 0),
    # An empty SMS is accepted and ignored: refused, AT would only send it again.
    Case("missing text", {k: v for k, v in INCOMING.items() if k != "text"}, 200, "ignored", 0),
    Case("empty text", {**INCOMING, "text": "  "}, 200, "ignored", 0),
    Case("missing id", {k: v for k, v in INCOMING.items() if k != "id"}, 400, "field 'id' required", 0),
    Case(
        "unknown number format", {**INCOMING, "from": "hello"}, 400, "field 'from' is not a phone number", 0
    ),
    Case("5,000 characters", {**INCOMING, "text": "x" * 5000}, 413, "field 'text' too long", 0),
    Case("NUL and control characters", {**INCOMING, "text": "Vol\x00 de\x07 moto"}, 200, "stored"),
    Case("only control characters", {**INCOMING, "text": "\x00\x01"}, 200, "ignored", 0),
    Case("not a form", None, 400, "body is not a form", 0, body=b"\xff\xfe{"),
]


@pytest.mark.parametrize("case", INCOMING_CASES, ids=lambda c: c.label)
async def test_incoming_sms(case: Case, client: httpx.AsyncClient, gateway: Gateway) -> None:
    if case.form is None:
        response = await client.post(
            SMS_URL, content=case.body or b"", headers={"content-type": "multipart/form-data; boundary=x"}
        )
    else:
        response = await client.post(SMS_URL, data=case.form)
    assert response.status_code == case.status
    assert case.says in response.text
    async with gateway.sessionmaker() as db:
        count = (await db.execute(select(func.count()).select_from(InboundMessage))).scalar_one()
    assert count == case.stored


async def test_a_provider_retry_is_stored_once_and_still_200(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    first = await client.post(SMS_URL, data=INCOMING)
    again = await client.post(SMS_URL, data=INCOMING)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"status": "duplicate"}
    async with gateway.sessionmaker() as db:
        inbound = (await db.execute(select(func.count()).select_from(InboundMessage))).scalar_one()
        replies = (await db.execute(select(func.count()).select_from(OutboundMessage))).scalar_one()
    assert (inbound, replies) == (1, 1)  # one report, one receipt


@pytest.mark.parametrize(
    ("statuses", "final", "reason"),
    [
        (["Sent"], "sent", None),
        (["Submitted", "Buffered"], "sent", None),
        (["Sent", "Success"], "delivered", None),
        (["Success", "Sent"], "delivered", None),  # a late report never moves a message back
        (["Rejected"], "failed", "DeliveryFailure"),
        (["Failed"], "failed", "UserIsInactive"),
        (["Expired"], "failed", "Expired"),
        (["SomethingNew"], "sent", None),  # unknown: kept as an event, tolerated
    ],
)
async def test_delivery_reports(
    statuses: list[str], final: str, reason: str | None, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    message_id = await sent_message(gateway, "ATXid_1")
    for status in statuses:
        form = {
            "id": "ATXid_1",
            "status": status,
            "phoneNumber": "+22376000001",
            "networkCode": "61002",
            "retryCount": "0",
        }
        if status in ("Rejected", "Failed"):
            form["failureReason"] = reason or ""
        response = await client.post(DLR_URL, data=form)
        assert response.status_code == 200
    async with gateway.sessionmaker() as db:
        message = await db.get(OutboundMessage, message_id)
        events = (
            (await db.execute(select(DeliveryEvent).where(DeliveryEvent.message_id == message_id)))
            .scalars()
            .all()
        )
    assert message is not None
    assert message.status == final
    assert message.failure_reason == reason
    assert [e.provider_status for e in events] == statuses
    if final == "delivered":
        assert message.delivered_at is not None


async def test_delivery_report_repeated_or_unknown_or_malformed(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await sent_message(gateway, "ATXid_1")
    form = {"id": "ATXid_1", "status": "Success", "phoneNumber": "+22376000001"}
    assert (await client.post(DLR_URL, data=form)).status_code == 200
    assert (await client.post(DLR_URL, data=form)).status_code == 200
    unknown = await client.post(DLR_URL, data={**form, "id": "ATXid_nope"})
    assert unknown.json() == {"status": "unknown message"}
    assert (await client.post(DLR_URL, data={"status": "Success"})).status_code == 400
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(func.count()).select_from(DeliveryEvent))).scalar_one() == 1


async def test_blacklisted_failure_opts_the_contact_out(client: httpx.AsyncClient, gateway: Gateway) -> None:
    from gateway.contacts.service import find_contact

    async with gateway.sessionmaker() as db, db.begin():
        from gateway.contacts.service import get_or_create_contact

        await get_or_create_contact(db, gateway.vault, "+22376000001")
    await sent_message(gateway, "ATXid_1")
    await client.post(DLR_URL, data={"id": "ATXid_1", "status": "Failed", "failureReason": "UserInBlackList"})
    async with gateway.sessionmaker() as db:
        contact = await find_contact(db, gateway.vault, "+22376000001")
    assert contact is not None
    assert contact.opted_out_at is not None


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"senderId": "BORDERS", "phoneNumber": "+22670000001"}, 200),
        ({"senderId": "BORDERS", "phoneNumber": "70000001"}, 200),
        ({"senderId": "BORDERS"}, 400),
        ({"phoneNumber": "abc"}, 400),
    ],
)
async def test_opt_out_callback(
    form: dict[str, str], status: int, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    from gateway.contacts.service import find_contact

    response = await client.post(OPT_OUT_URL, data=form)
    assert response.status_code == status
    if status == 200:
        async with gateway.sessionmaker() as db:
            contact = await find_contact(
                db, gateway.vault, "+22670000001" if form["phoneNumber"].startswith("+") else "+22370000001"
            )
        assert contact is not None
        assert contact.opted_out_at is not None


@pytest.mark.parametrize(
    "date", ["2018-03-19T08:34:18.445Z", "2099-01-01 00:00:00", "9999-12-31T23:59:59-14:00"]
)
async def test_an_implausible_date_is_replaced_by_now(
    date: str, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    # Kept as given, a date years back would escape flood counting and be purged at once; one
    # years ahead would outlive every purge.
    from gateway.db.base import utcnow

    response = await client.post(SMS_URL, data={**INCOMING, "date": date})
    assert response.status_code == 200
    async with gateway.sessionmaker() as db:
        received = (await db.execute(select(InboundMessage.received_at))).scalar_one()
    assert abs((received - utcnow()).total_seconds()) < 600
