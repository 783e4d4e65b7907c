"""What a reporter reads when a committee acknowledges their report: the committee's own name, not
"the follow-up committee Comité …"."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from gateway.committees.service import NewMember
from gateway.contacts.service import get_or_create_contact
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.helpers import MakeCommittee, MakeReport

REPORTER = "+22376000070"
MAYOR = NewMember("Maire de Zégoua", "+22376100031", "fr")


async def test_the_committee_is_named_once(
    gateway: Gateway, client: httpx.AsyncClient, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    await make_committee("Comité Zégoua-Niangoloko", ["Zégoua", "Niangoloko"], [MAYOR])
    async with gateway.sessionmaker() as db, db.begin():
        reporter = await get_or_create_contact(db, gateway.vault, REPORTER)
        reporter.language = "fr"
    report = await make_report("Zégoua", contact_id=reporter.id)
    answer = await client.post(
        "/callbacks/africastalking/sms",
        data={"from": MAYOR.phone, "text": f"OK {report.reference}", "id": "ack-wording-1"},
    )
    assert answer.status_code == 200
    async with gateway.sessionmaker() as db:
        messages = (
            await db.execute(select(OutboundMessage).where(OutboundMessage.kind == "reply"))
        ).scalars()
        told = [m.body for m in messages if gateway.vault.decrypt(m.phone_encrypted) == REPORTER]
    assert len(told) == 1
    assert "Comité Zégoua-Niangoloko" in told[0]
    assert report.reference in told[0]
    assert told[0].casefold().count("comit") == 1, told[0]
