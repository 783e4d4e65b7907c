"""A committee's summary sent on demand covers the time since its last one and is recorded like a
scheduled one: the next scheduled summary starts where it ends, nothing is sent twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from gateway.committees.models import Committee, Digest
from gateway.committees.schedule import parse_schedule
from gateway.committees.service import NewMember
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.helpers import MakeCommittee, MakeReport

MAYOR = NewMember("Maire de Zégoua", "+22376100011", "fr")
CHIEF = NewMember("Chef de village", "+22376100012", "bm")


async def summaries(gateway: Gateway) -> list[OutboundMessage]:
    async with gateway.sessionmaker() as db:
        query = select(OutboundMessage).where(OutboundMessage.kind == "summary").order_by(OutboundMessage.id)
        return list((await db.execute(query)).scalars())


async def digests(gateway: Gateway) -> list[Digest]:
    async with gateway.sessionmaker() as db:
        return list((await db.execute(select(Digest).order_by(Digest.period_end))).scalars())


async def test_sent_now_then_the_scheduled_one_starts_where_it_ended(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR, CHIEF], "weekly mon 08:00")
    now = utcnow()
    await make_report("Zégoua", at=now - timedelta(hours=2))
    await make_report("Zégoua", at=now - timedelta(hours=1))

    sent = await gateway.scheduler.summary_now(committee.id, send=True, now=now)
    assert sent.members == {"bm": 1, "fr": 1}
    assert set(sent.texts) == {"bm", "fr"}
    assert "2 signalements" in sent.texts["fr"]
    assert sent.start == now - timedelta(days=7)  # no summary before: one period back
    assert sent.next_at == parse_schedule("weekly mon 08:00", "Africa/Bamako").next_after(now)
    assert len(await summaries(gateway)) == 2
    assert await gateway.scheduler.run_due(now) == 0  # not due: it was just sent

    later = now + timedelta(hours=1)
    await make_report("Zégoua", at=later - timedelta(minutes=5))
    assert sent.next_at is not None
    assert await gateway.scheduler.run_due(sent.next_at) == 1
    messages = await summaries(gateway)
    assert len(messages) == 4
    [scheduled] = [m.body for m in messages[2:] if m.language == "fr"]
    assert "1 signalement " in scheduled  # only the report made since; the two are not counted again
    first, second = await digests(gateway)
    assert (first.period_end, second.period_start) == (now, now)


async def test_a_dry_run_writes_nothing(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR], "daily 08:00")
    await make_report("Zégoua", at=utcnow() - timedelta(hours=1))
    shown = await gateway.scheduler.summary_now(committee.id, send=False)
    assert "1 signalement " in shown.texts["fr"]
    assert shown.next_at is None
    assert await summaries(gateway) == []
    assert await digests(gateway) == []
    async with gateway.sessionmaker() as db:
        again = await db.get(Committee, committee.id)
    assert again is not None
    assert (again.last_digest_until, again.next_digest_at) == (None, committee.next_digest_at)


async def test_no_member_taking_summaries_sends_and_records_nothing(
    gateway: Gateway, make_committee: MakeCommittee
) -> None:
    alerts_only = NewMember("Police aux frontières", "+22376100013", "fr", summaries=False)
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [alerts_only])
    result = await gateway.scheduler.summary_now(committee.id, send=True)
    assert (result.members, result.texts) == ({}, {})
    assert await digests(gateway) == []


async def test_sent_now_while_the_scheduler_runs_covers_each_report_once(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR], "daily 08:00")
    now = utcnow()
    await make_report("Zégoua", at=now - timedelta(hours=1))
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Committee).values(next_digest_at=now - timedelta(minutes=1)))
    await asyncio.gather(
        gateway.scheduler.run_due(now), gateway.scheduler.summary_now(committee.id, send=True, now=now)
    )
    bodies = [m.body for m in await summaries(gateway)]
    assert sum("1 signalement " in body for body in bodies) == 1  # the report, in one summary only
    periods = await digests(gateway)
    assert all(a.period_end <= b.period_start for a, b in zip(periods, periods[1:], strict=False))
