"""Committees end to end: registration, urgent alerts, summaries on schedule, acknowledgements."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from gateway.areas.lookup import find_areas
from gateway.committees.models import Committee, Digest
from gateway.committees.service import CommitteeError, NewMember, add_member, create_committee
from gateway.committees.summary import Summary, render_summary
from gateway.config import ROOT
from gateway.contacts.service import get_or_create_contact
from gateway.db.base import utcnow
from gateway.i18n.gsm7 import sms_encoding, to_gsm7
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report, ReportEvent
from gateway.wiring import Gateway
from tests.helpers import MakeCommittee, MakeReport

MAYOR = NewMember("Maire de Zégoua", "+22376100001", "fr", "maire")
CHIEF = NewMember("Chef de village", "+22376100002", "bm", "chef", summaries=True, alerts=False)
OFFICER = NewMember("Police aux frontières", "+22670100003", "dyu", "police", summaries=False, alerts=True)
_ids = itertools.count()


async def outbox(gateway: Gateway, kind: str | None = None) -> list[OutboundMessage]:
    query = select(OutboundMessage).order_by(OutboundMessage.id)
    if kind:
        query = query.where(OutboundMessage.kind == kind)
    async with gateway.sessionmaker() as db:
        return list((await db.execute(query)).scalars())


async def recipients(gateway: Gateway, messages: list[OutboundMessage]) -> list[str]:
    return [gateway.vault.decrypt(m.phone_encrypted) for m in messages]


async def text(client: httpx.AsyncClient, phone: str, body: str) -> None:
    response = await client.post(
        "/callbacks/africastalking/sms", data={"from": phone, "text": body, "id": f"c-{next(_ids)}"}
    )
    assert response.status_code == 200


async def test_registration_rejects_what_is_wrong(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db:
        with pytest.raises(CommitteeError, match="ambiguous: write one of commune:Kourouma, "):
            await create_committee(
                db, "X", ["Kourouma"], "daily 08:00", "Africa/Bamako"
            )  # in Mali and Burkina
        assert [a.name for a in await find_areas(db, ["Kourouma, Kénédougou", "cercle:kadiolo"])] == [
            "Kourouma",
            "Kadiolo",
        ]
        with pytest.raises(CommitteeError, match="unknown area"):
            await create_committee(db, "X", ["Atlantis"], "daily 08:00", "Africa/Bamako")
        with pytest.raises(CommitteeError, match="name"):
            await create_committee(db, "  ", ["Zégoua"], "daily 08:00", "Africa/Bamako")
        await db.rollback()


async def test_urgent_report_alerts_the_members_who_take_alerts(
    gateway: Gateway, client: httpx.AsyncClient, make_committee: MakeCommittee
) -> None:
    await make_committee("Zégoua-Niangoloko", ["Zégoua", "Niangoloko"], [MAYOR, CHIEF, OFFICER])
    await make_committee("Cercle de Kadiolo", ["cercle:Kadiolo"], [MAYOR])  # the mayor sits on both
    # A new number, no usual commune: the place named in the text is enough.
    await text(client, "+22376000050", "URGENT des hommes armés au marché de Zégoua")
    alerts = await outbox(gateway, "alert")
    assert sorted(await recipients(gateway, alerts)) == [
        "+22376100001",
        "+22670100003",
    ]  # once each; not the chief
    [for_mayor] = [a for a in alerts if a.language == "fr"]
    assert "URGENT R-" in for_mayor.body
    assert "Zégoua" in for_mayor.body
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report))).scalar_one()
    assert report.status == "forwarded"
    assert report.alerted_at is not None


async def test_member_acknowledges_and_the_reporter_hears(
    gateway: Gateway, client: httpx.AsyncClient, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    await make_committee("Zégoua", ["Zégoua"], [MAYOR])
    await make_committee("Houet", ["Houet"], [NewMember("Maire de Bama", "+22670100009", "dyu")])
    async with gateway.sessionmaker() as db, db.begin():
        reporter = await get_or_create_contact(db, gateway.vault, "+22376000060")
        reporter.language = "bm"
    named = await make_report("Zégoua", contact_id=reporter.id)
    anonymous = await make_report("Zégoua", anonymous=True)

    await text(client, "+22376100001", f"INFO {named.reference}")
    await text(client, "+22376100001", f"ok {named.reference}")
    await text(client, "+22376100001", f"OK {named.reference}")  # twice: the reporter hears once
    await text(client, "+22376100001", f"OK {anonymous.reference}")
    await text(client, "+22670100009", f"OK {named.reference}")  # another committee's area
    await text(client, "+22376000099", f"OK {named.reference}")  # not a member
    await text(client, "+22376100001", "OK R-ZZZZ")  # no such report

    replies = await outbox(gateway, "reply")
    by_phone: dict[str, list[str]] = {}
    for message, phone in zip(replies, await recipients(gateway, replies), strict=True):
        by_phone.setdefault(phone, []).append(message.body)
    tr = gateway.engine.catalogs.translator
    mayor = by_phone["+22376100001"]
    assert mayor[0].startswith(named.reference)
    assert "Des hommes armés au marché" in mayor[0]
    assert (
        mayor[1]
        == mayor[2]
        == to_gsm7(tr("fr").gettext("sms.member.acked").format(reference=named.reference), "fr")
    )
    assert "R-ZZZZ" in mayor[4]
    assert len(by_phone["+22376000060"]) == 1  # the named reporter, in Bambara
    assert named.reference in by_phone["+22376000060"][0]
    assert by_phone["+22670100009"] == [
        to_gsm7(tr("dyu").gettext("sms.member.not_yours").format(reference=named.reference), "dyu")
    ]
    assert by_phone["+22376000099"] == [to_gsm7(tr("fr").gettext("sms.member.unknown"), "fr")]
    async with gateway.sessionmaker() as db:
        statuses = dict((await db.execute(select(Report.reference, Report.status))).all())
        acks = (await db.execute(select(func.count()).where(ReportEvent.kind == "ack"))).scalar_one()
    assert statuses == {named.reference: "acknowledged", anonymous.reference: "acknowledged"}
    assert acks == 3


async def test_summary_on_schedule_in_each_language_once(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    members = [
        MAYOR,
        CHIEF,
        NewMember("Préfet", "+22670100004", "mos"),
        NewMember("Adjoint", "+22670100005", "dyu"),
    ]
    committee = await make_committee(
        "Zégoua-Niangoloko", ["Zégoua", "Niangoloko", "commune:Kadiolo"], members, "daily 08:00"
    )
    now = utcnow()
    for _ in range(4):
        await make_report("Zégoua", at=now - timedelta(hours=3))
    await make_report(
        "Niangoloko", urgency="urgent", topic="checkpoint_harassment", at=now - timedelta(hours=2)
    )
    await make_report("Kadiolo", topic="cross_border_trade", at=now - timedelta(hours=1))
    await make_report("Zégoua", at=now - timedelta(days=1, hours=1))  # the period before
    await make_report("Banfora", at=now - timedelta(hours=1))  # not this committee's

    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(
            update(Committee).values(
                next_digest_at=now - timedelta(minutes=1), last_digest_until=now - timedelta(days=1)
            )
        )
    assert await gateway.scheduler.run_due(now) == 1
    assert await gateway.scheduler.run_due(now) == 0  # not due again

    summaries = await outbox(gateway, "summary")
    assert sorted(m.language for m in summaries) == ["bm", "dyu", "fr", "mos"]
    for message in summaries:
        assert sms_encoding(message.body).segments <= 3
        assert "+2237" not in message.body
    [french] = [m.body for m in summaries if m.language == "fr"]
    assert "6 signalements" in french
    assert "(+5)" in french
    assert "Zegoua 4" in french or "Zégoua 4" in french
    assert "autres lieux 2" in french  # Niangoloko 1 and Kadiolo 1 are too few to name
    assert "Urgents sans réponse: 1" in french
    async with gateway.sessionmaker() as db:
        digests = (await db.execute(select(Digest))).scalars().all()
        refreshed = await db.get(Committee, committee.id)
        forwarded = (await db.execute(select(func.count()).where(Report.status == "forwarded"))).scalar_one()
    assert len(digests) == 1
    assert refreshed is not None
    assert refreshed.next_digest_at > now
    assert forwarded == 6  # the six of the period; the one before and Banfora's stay new


async def test_downtime_catches_up_with_one_summary(gateway: Gateway, make_committee: MakeCommittee) -> None:
    await make_committee("Léraba", ["Léraba"], [MAYOR], "daily 08:00")
    long_ago = utcnow() - timedelta(days=9)
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(
            update(Committee).values(next_digest_at=long_ago, last_digest_until=long_ago - timedelta(days=1))
        )
    assert await gateway.scheduler.run_due() == 1
    assert len(await outbox(gateway, "summary")) == 1


async def test_two_workers_racing_send_one_summary(gateway: Gateway, make_committee: MakeCommittee) -> None:
    await make_committee("Comoé", ["Comoé"], [MAYOR, NewMember("B", "+22670100006", "mos")], "daily 08:00")
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Committee).values(next_digest_at=utcnow() - timedelta(minutes=1)))
    results = await asyncio.gather(*(gateway.scheduler.run_due() for _ in range(4)))
    assert sum(results) == 1
    assert len(await outbox(gateway, "summary")) == 2  # one per member


def test_a_crowded_summary_drops_whole_parts_and_fits(gateway: Gateway) -> None:
    now = utcnow()
    summary = Summary(
        "Comité transfrontalier Sikasso-Kénédougou-Houet",
        now - timedelta(days=7),
        now,
        412,
        380,
        by_topic=[
            (t, 60)
            for t in (
                "security_incident",
                "community_conflict",
                "cross_border_trade",
                "movement_documents",
                "checkpoint_harassment",
                "other",
            )
        ],
        places=[("Finkolo Ganadougou", 80), ("Sokourani-Missirikoro", 70), ("Karangasso-Vigué", 60)],
        other_places=202,
        urgent_open=17,
        references=["R-7K3F", "R-9QXW", "R-AB2C"],
    )
    for language in ("fr", "bm", "dyu", "mos"):
        text = render_summary(
            summary, gateway.engine.catalogs.translator(language), language, ROOT / "locales"
        )
        assert sms_encoding(to_gsm7(text, language)).segments <= 3
        assert "412" in text
        assert not text.endswith(("…", ",")), text


async def test_names_too_long_for_their_columns_are_refused_with_the_field(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        with pytest.raises(CommitteeError, match="at most 120") as too_long:
            await create_committee(db, "C" * 121, ["Zégoua"], "daily 08:00", "Africa/Bamako")
        committee = await create_committee(db, "Comité Zégoua", ["Zégoua"], "daily 08:00", "Africa/Bamako")
        with pytest.raises(CommitteeError) as member:
            await add_member(db, gateway.vault, committee, NewMember("M" * 121, "+22376100040", "fr"), "ML")
        with pytest.raises(CommitteeError) as role:
            await add_member(
                db, gateway.vault, committee, NewMember("Maire", "+22376100040", "fr", "r" * 65), "ML"
            )
    assert (too_long.value.field, member.value.field, role.value.field) == ("name", "name", "role")
