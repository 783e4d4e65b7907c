from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from gateway.db.base import UTCDateTime, utcnow
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.retention.purge import PURGED, parse_age, purge
from gateway.sms.models import InboundMessage
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway
from tests.helpers import UssdCaller, database_dump, leaks


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


async def _age_everything(gateway: Gateway, days: int) -> None:
    """Every time stamp in the database moved `days` into the past, as if it all happened then."""
    from gateway.models import Base

    old = utcnow() - timedelta(days=days)
    async with gateway.sessionmaker() as db, db.begin():
        for table in Base.metadata.sorted_tables:
            moments = [c.name for c in table.columns if isinstance(c.type, UTCDateTime)]
            if moments and table.name != "areas":
                await db.execute(table.update().values(dict.fromkeys(moments, old)))
        await db.execute(update(OutboundMessage).values(status="sent"))


async def test_after_a_purge_no_purged_text_or_number_is_left_anywhere(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    from gateway.reports.status import change_status

    texts = {
        "named": "Bétail volé au marché de Kadiolo par trois hommes",
        "anonymous": "Racket au poste de Hèrèmakono chaque nuit",
        "draft": "Brouillon jamais envoyé sur le pont de Fourou",
        "sms": "Conflit foncier à Niangoloko entre deux familles",
        "followup": "Ils sont repartis vers Ouangolodougou",
        "note": "Patrouille envoyée, le chef de village a confirmé",
    }
    phones = ["+22376000711", "+22376000712", "+22376000713", "+22670000714", "+22376000715"]
    named, anonymous, draft = (UssdCaller(client, phone) for phone in phones[:3])
    # fr, report, security incident, urgent, the commune, the text; sent with the number and the
    # commune's meeting notices (a subscription), or anonymously.
    for caller, description, how in ((named, texts["named"], "3"), (anonymous, texts["anonymous"], "1")):
        await caller.dial()
        for answer in ("1", "1", "1", "1", "Benkadi", description):
            await caller.send(answer)
        assert (await caller.send(how)).startswith("END ")
    await draft.dial()
    for answer in ("1", "1", "1", "1", "Benkadi", texts["draft"]):
        await draft.send(answer)
    for n, body in enumerate((texts["sms"], texts["followup"])):
        await client.post(
            "/callbacks/africastalking/sms", data={"from": phones[3], "text": body, "id": f"purge-{n}"}
        )
    async with gateway.sessionmaker() as db:
        references = list((await db.execute(select(Report.reference).order_by(Report.id))).scalars())
    await client.post(
        "/callbacks/africastalking/sms", data={"from": phones[4], "text": references[1], "id": "purge-q"}
    )
    async with gateway.sessionmaker() as db, db.begin():
        await change_status(db, gateway.notifier, references[0], "closed", texts["note"], "organiser")
    before = await database_dump(gateway)
    needles = [*texts.values(), *phones, *(gateway.vault.lookup_hash(p) for p in phones)]
    assert {table for table, _, _ in leaks(before, needles)} >= {"reports", "ussd_sessions", "contacts"}

    await _age_everything(gateway, 400)
    async with gateway.sessionmaker() as db, db.begin():
        result = await purge(db, utcnow() - timedelta(days=365))
    assert result.contacts == 4  # every number that had used the service (the anonymous one never had one)

    after = await database_dump(gateway)
    assert leaks(after, needles) == []
    assert [value for _, _, value in after if value.startswith("gAAAA")] == []  # no encrypted number left
    async with gateway.sessionmaker() as db:
        kept = (await db.execute(select(func.count()).select_from(Report))).scalar_one()
    assert kept == 3  # the counts stay: three reports, their topics, places and times
