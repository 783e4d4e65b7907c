"""Summaries counted once for every committee due together say exactly what each committee's summary
counted alone says: totals, the period before, topics, places named or grouped, urgent reports
still open and the references, whichever committees share a commune."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.committees import scheduler as scheduler_module
from gateway.committees.models import Committee
from gateway.committees.service import NewMember
from gateway.committees.summary import PlaceCounts, Summary, compute_summary, count_places
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.outbox.service import sms_text
from gateway.reports.models import Report
from gateway.reports.status import forward_summarised
from gateway.wiring import Gateway
from tests.helpers import MakeCommittee, MakeReport

H = timedelta(hours=1)


async def reports_of_two_weeks(make_report: MakeReport, gateway: Gateway, now: datetime) -> dict[str, str]:
    """Reports around the committees' communes; returns some of their references by role."""
    refs: dict[str, str] = {}
    refs["zegoua_urgent"] = (
        await make_report("Zégoua", urgency="urgent", topic="cross_border_trade", at=now - 2 * H)
    ).reference
    refs["zegoua_3h"] = (await make_report("Zégoua", at=now - 3 * H)).reference
    await make_report("Zégoua", at=now - 4 * H)
    await make_report("Zégoua", at=now - 5 * H)
    # The week before: counted there, its urgent open report not among this week's.
    await make_report("Zégoua", urgency="urgent", at=now - timedelta(days=8))
    await make_report("Zégoua", at=now - timedelta(days=9))
    await make_report("Zégoua", at=now - timedelta(days=20))  # before both periods
    refs["loulouni_3h30"] = (await make_report("Loulouni", topic="other", at=now - 3.5 * H)).reference
    await make_report("Loulouni", topic="other", at=now - 30 * H)  # the day before, for a daily committee
    for hours in (10, 11, 12, 13):
        await make_report("Kadiolo", topic="community_conflict", at=now - hours * H)
    closed = await make_report("Niangoloko", urgency="urgent", topic="checkpoint_harassment", at=now - H)
    acknowledged = await make_report("Kadiolo", urgency="urgent", topic="community_conflict", at=now - 14 * H)
    await make_report("Niangoloko", at=now - 6 * H)
    await make_report("Banfora", at=now - 7 * H)
    await make_report("Banfora", at=now - timedelta(days=10))
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Report).where(Report.id == closed.id).values(status="closed"))
        await db.execute(update(Report).where(Report.id == acknowledged.id).values(status="acknowledged"))
    return refs


COMMITTEES = {
    "Zégoua-Niangoloko": ["Zégoua", "Niangoloko"],
    "Cercle de Kadiolo": ["cercle:Kadiolo"],
    "Niangoloko-Banfora": ["Niangoloko", "Banfora"],
}


async def make_committees(gateway: Gateway, make_committee: MakeCommittee, due: datetime) -> list[Committee]:
    made = []
    for n, (name, areas) in enumerate(COMMITTEES.items()):
        made.append(await make_committee(name, areas, [NewMember(f"Membre {n}", f"+2237610020{n}", "fr")]))
    # A daily one: its period is not the others', so it is counted by itself.
    made.append(
        await make_committee("Loulouni", ["Loulouni"], [NewMember("M", "+22376100209", "fr")], "daily 08:00")
    )
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Committee).values(next_digest_at=due))
    return made


async def alone(gateway: Gateway, committee: Committee, end: datetime) -> Summary:
    async with gateway.sessionmaker() as db:
        summary, _ = await gateway.scheduler.summary_of(db, committee, end)
        return summary


async def test_one_count_for_all_gives_each_committee_its_own_summary(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    now = utcnow()
    refs = await reports_of_two_weeks(make_report, gateway, now)
    committees = await make_committees(gateway, make_committee, now - H)
    counted = await gateway.scheduler.count_due(now)
    [shared] = counted  # the three weekly committees; the daily one is alone in its period
    assert shared.start == now - timedelta(days=7)
    for committee in committees:
        async with gateway.sessionmaker() as db:
            summary, communes = await gateway.scheduler.summary_of(db, committee, now, counted)
        assert summary == await alone(gateway, committee, now), committee.name
        assert shared.covers(communes, summary.start, now) == (committee.name != "Loulouni")

    kadiolo = await alone(gateway, committees[1], now)
    assert (kadiolo.total, kadiolo.previous) == (11, 2)
    assert kadiolo.by_topic == [
        ("community_conflict", 5),
        ("security_incident", 3),
        ("other", 2),
        ("cross_border_trade", 1),
    ]
    # Loulouni's two reports are too few to name.
    assert (kadiolo.places, kadiolo.other_places) == ([("Kadiolo", 5), ("Zégoua", 4)], 2)
    assert kadiolo.urgent_open == 1  # the acknowledged urgent one is not open
    # Urgent first, then newest first, across the communes.
    assert kadiolo.references == [refs["zegoua_urgent"], refs["zegoua_3h"], refs["loulouni_3h30"]]

    pair = await alone(gateway, committees[0], now)
    assert (pair.total, pair.previous, pair.urgent_open) == (
        6,
        2,
        1,
    )  # the closed urgent one counts, not open
    daily = await alone(gateway, committees[3], now)
    assert (daily.total, daily.previous) == (1, 1)


async def test_equal_counts_come_in_a_fixed_order(gateway: Gateway, make_report: MakeReport) -> None:
    now = utcnow()
    for commune in ("Zégoua", "Niangoloko", "Kadiolo", "Banfora"):
        for minutes in (10, 20, 30):
            topic = "other" if commune < "L" else "security_incident"
            await make_report(commune, topic=topic, at=now - timedelta(minutes=minutes))
    async with gateway.sessionmaker() as db:
        directory = await gateway.directory.get(db)
        names = ("Zégoua", "Niangoloko", "Kadiolo", "Banfora")
        communes = {p.id for p in directory.places.values() if p.level == 3 and p.name in names}
        summary = await compute_summary(db, "C", communes, now - timedelta(days=7), now, directory, 3)
    # By name among equals; the fourth place is grouped whatever its count.
    assert summary.places == [("Banfora", 3), ("Kadiolo", 3), ("Niangoloko", 3)]
    assert summary.other_places == 3
    assert summary.by_topic == [("other", 6), ("security_incident", 6)]


async def test_a_committee_whose_period_moved_meanwhile_is_counted_by_itself(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    now = utcnow()
    await reports_of_two_weeks(make_report, gateway, now)
    committees = await make_committees(gateway, make_committee, now - H)
    counted = await gateway.scheduler.count_due(now)
    # Summarised by another worker (or `digest run --committee`) after the count: it starts later.
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(
            update(Committee).where(Committee.id == committees[0].id).values(last_digest_until=now - 4.5 * H)
        )
    async with gateway.sessionmaker() as db:
        moved = (await db.execute(select(Committee).where(Committee.id == committees[0].id))).scalar_one()
        summary, _ = await gateway.scheduler.summary_of(db, moved, now, counted)
    assert summary.start == now - 4.5 * H
    assert summary.total == 4  # Zégoua at 2, 3 and 4 h, Niangoloko at 1 h; the shared count saw 6
    assert summary == await alone(gateway, moved, now)


async def test_the_pass_counts_once_per_shared_period_and_sends_what_each_counted_alone_says(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    await reports_of_two_weeks(make_report, gateway, now)
    committees = await make_committees(gateway, make_committee, now - H)
    expected = {}
    for committee in committees:
        async with gateway.sessionmaker() as db:
            texts = await gateway.scheduler.summarise(db, committee, now, send=False)
        # As queued: in GSM-7 where the text allows it.
        expected[committee.name] = sms_text(texts["fr"], "fr", gateway.settings.sms_gsm7).body
    passes: list[PlaceCounts] = []

    async def counting(*args: Any) -> PlaceCounts:
        passes.append(await count_places(*args))
        return passes[-1]

    monkeypatch.setattr(scheduler_module, "count_places", counting)
    assert await gateway.scheduler.run_due(now) == 4
    assert len(passes) == 1
    async with gateway.sessionmaker() as db:
        sent = list(
            (await db.execute(select(OutboundMessage).where(OutboundMessage.kind == "summary"))).scalars()
        )
    by_phone = {gateway.vault.decrypt(m.phone_encrypted): m.body for m in sent}
    assert len(by_phone) == 4
    for n, name in enumerate(COMMITTEES):
        assert by_phone[f"+2237610020{n}"] == expected[name], name
    assert by_phone["+22376100209"] == expected["Loulouni"]


async def plans_of(gateway: Gateway, work: Callable[[AsyncSession], Awaitable[object]]) -> list[str]:
    """SQLite's plan for each statement `work` runs on reports, one line of steps each."""
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if "reports" in statement:
            statements.append((statement, parameters))

    engine = gateway.db_engine.sync_engine
    async with gateway.sessionmaker() as db, db.begin():
        event.listen(engine, "before_cursor_execute", seen)
        try:
            await work(db)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        plans = []
        for statement, parameters in statements:
            plan = (await db.connection()).exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append(" | ".join(str(row[-1]) for row in (await plan).all()))
        await db.rollback()
    return plans


async def test_no_count_reads_reports_by_their_status_on_sqlite(
    gateway: Gateway, make_report: MakeReport
) -> None:
    # SQLite keeps no statistics until ANALYZE runs, and without them its planner chose the
    # (status, created_at) index for the first open reports, and for forwarding what a summary
    # counted: every report of that status read, where the period's are read by (area_id, placed_at).
    if not gateway.settings.is_sqlite:
        pytest.skip("SQLite's planner without statistics")
    now = utcnow()
    await make_report("Zégoua", urgency="urgent", at=now - H)
    async with gateway.sessionmaker() as db:
        directory = await gateway.directory.get(db)
    communes = {p.id for p in directory.places.values() if p.level == 3}
    counted: list[PlaceCounts] = []

    async def count(db: AsyncSession) -> None:
        counted.append(await count_places(db, communes, now - timedelta(days=7), now))

    async def forward(db: AsyncSession) -> None:
        await forward_summarised(db, communes, now - timedelta(days=7), now)

    plans = await plans_of(gateway, count) + await plans_of(gateway, forward)
    assert sum(len(reports) for reports in counted[0].open_reports.values()) == 1
    assert len(plans) == 4  # three counts, one update
    for steps in plans:
        assert "ix_reports_area_placed" in steps, steps
        assert "ix_reports_status_created" not in steps, steps
