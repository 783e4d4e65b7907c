from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from gateway.db.base import utcnow
from gateway.ops.purge import PURGED, parse_age, purge
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.sms.models import InboundMessage
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway
from tests.helpers import UssdCaller


@pytest.mark.parametrize(("text", "days"), [("365d", 365), ("52w", 364), ("48h", 2)])
def test_ages(text: str, days: int) -> None:
    assert parse_age(text) == timedelta(days=days)


@pytest.mark.parametrize("text", ["", "1y", "-3d", "12h", "abc"])
def test_bad_ages(text: str) -> None:
    with pytest.raises(ValueError, match="days|keep at least"):
        parse_age(text)


async def test_purge_keeps_counts_and_erases_the_rest(client: httpx.AsyncClient, gateway: Gateway) -> None:
    await client.post(
        "/callbacks/africastalking/sms", data={"from": "+22376000701", "text": "Vol à Fourou", "id": "p1"}
    )
    caller = UssdCaller(client, "+22376000702")
    await caller.dial()
    await caller.send("1")
    old = utcnow() - timedelta(days=400)
    async with gateway.sessionmaker() as db, db.begin():
        for model, column in (
            (Report, Report.created_at),
            (InboundMessage, InboundMessage.received_at),
            (OutboundMessage, OutboundMessage.created_at),
            (UssdSession, UssdSession.started_at),
        ):
            await db.execute(update(model).values({column.key: old}))
        await db.execute(update(OutboundMessage).values(status="sent"))
    async with gateway.sessionmaker() as db, db.begin():
        result = await purge(db, utcnow() - timedelta(days=365))
    assert (result.reports, result.inbound, result.outbound, result.sessions) == (1, 1, 1, 1)
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report))).scalar_one()
        message = (await db.execute(select(OutboundMessage))).scalar_one()
        session = (await db.execute(select(UssdSession))).scalar_one()
        count = (await db.execute(select(func.count()).select_from(Report))).scalar_one()
    assert (report.description, report.contact_id, report.topic) == (PURGED, None, "other")
    assert (message.body, message.phone_encrypted, message.status) == ("", "", "sent")
    assert (session.phone_hash, session.state) == ("", {})
    assert count == 1
