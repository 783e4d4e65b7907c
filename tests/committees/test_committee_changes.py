"""A committee renamed or given other areas, a member given another language or number: checked as
a new one is, in the audit log without the number, and followed from then on by everything that
reads them (urgent alerts, who may answer `OK R-…`, placeless alerts, summaries); nothing already
sent changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from gateway.audit.models import AuditEvent
from gateway.committees.models import Committee, CommitteeMember, Digest
from gateway.committees.service import (
    CommitteeError,
    MemberChange,
    NewMember,
    areas_named,
    change_committee,
    change_member,
    committee_area_ids,
    committee_member,
    committee_members,
    set_member_wishes,
)
from gateway.db.base import utcnow
from gateway.http.scope import reach
from gateway.i18n.gsm7 import to_gsm7
from gateway.reports.models import Report
from gateway.wiring import Gateway
from tests.committees.test_committees import outbox, recipients, text
from tests.helpers import MakeCommittee, MakeReport

MAYOR = NewMember("Maire de Zégoua", "+22376100501", "fr", "maire")
DEPUTY = NewMember("Adjoint", "+22376100502", "bm", "adjoint")
NEW_NUMBER = "+22376100599"


@dataclass(frozen=True)
class Organiser:
    audit_name: str = "Awa (#1)"
    role: str = "organiser"


BY = Organiser()


async def _audit(gateway: Gateway, action: str) -> list[AuditEvent]:
    async with gateway.sessionmaker() as db:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list((await db.execute(query)).scalars())


async def _change(
    gateway: Gateway, committee_id: int, name: str | None, areas: list[str] | None
) -> list[str]:
    async with gateway.sessionmaker() as db, db.begin():
        committee = await db.get(Committee, committee_id)
        assert committee is not None
        areas_of = areas_named(db, areas) if areas is not None else None
        return await change_committee(db, committee, name=name, areas_of=areas_of, by=BY)


async def _change_areas(gateway: Gateway, committee_id: int, areas: list[str]) -> list[str]:
    return await _change(gateway, committee_id, None, areas)


async def _change_member(gateway: Gateway, committee_id: int, change: MemberChange) -> list[str]:
    async with gateway.sessionmaker() as db, db.begin():
        [member, *_] = await committee_members(db, committee_id)
        return await change_member(db, gateway.vault, member, change, "ML", by=BY)


@pytest.mark.parametrize(
    ("name", "areas", "field", "code"),
    [
        ("", None, "name", "name_missing"),
        ("   ", None, "name", "name_missing"),
        ("C" * 121, None, "name", "name_long"),
        ("Comité Banfora", None, "name", "name_taken"),
        (None, ["Atlantis"], "areas", "unknown_area"),
        (None, ["Kourouma"], "areas", "unknown_area"),  # in Mali and in Burkina: ambiguous
        (None, [], "areas", "no_area"),
    ],
)
async def test_a_bad_change_is_refused_with_its_field_and_changes_nothing(
    gateway: Gateway,
    make_committee: MakeCommittee,
    name: str | None,
    areas: list[str] | None,
    field: str,
    code: str,
) -> None:
    zegoua = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR])
    await make_committee("Comité Banfora", ["Banfora"], [])
    # A valid name alongside bad areas: nothing of the change is kept.
    new_name = "Comité Nouveau" if name is None else name
    with pytest.raises(CommitteeError) as refused:
        await _change(gateway, zegoua.id, new_name, areas)
    assert (refused.value.field, refused.value.code) == (field, code)
    async with gateway.sessionmaker() as db:
        committee = await db.get(Committee, zegoua.id)
        assert committee is not None
        assert committee.name == "Comité Zégoua"
        assert len(await committee_area_ids(db, zegoua.id)) == 1
    assert await _audit(gateway, "committees.update") == []


async def test_a_rename_and_new_areas_are_said_in_the_audit_log(
    gateway: Gateway, make_committee: MakeCommittee
) -> None:
    zegoua = await make_committee("Comité Zégoua", ["Zégoua", "Niangoloko"], [MAYOR])
    async with gateway.sessionmaker() as db, db.begin():
        committee = await db.get(Committee, zegoua.id)
        assert committee is not None
        # The same name, spaces aside, and the same areas: nothing changes, nothing is recorded.
        same = areas_named(db, ["Niangoloko", "Zégoua", "Zégoua"])
        assert await change_committee(db, committee, name="  Comité  Zégoua ", areas_of=same, by=BY) == []
        changed = await change_committee(
            db,
            committee,
            name="Comité Zégoua-Banfora",
            areas_of=areas_named(db, ["Zégoua", "Banfora", "Banfora"]),
            by=BY,
        )
    assert changed[0] == "name 'Comité Zégoua' -> 'Comité Zégoua-Banfora'"
    assert changed[1].startswith("areas added Banfora (#")
    assert changed[2].startswith("areas removed Niangoloko (#")
    [audit] = await _audit(gateway, "committees.update")
    assert audit.detail == f"committee {zegoua.id}: " + "; ".join(changed)
    assert (audit.actor, audit.role, audit.rows) == ("Awa (#1)", "organiser", 1)
    async with gateway.sessionmaker() as db:
        committee = await db.get(Committee, zegoua.id)
        assert committee is not None
        assert committee.name == "Comité Zégoua-Banfora"
        assert len(await committee_area_ids(db, zegoua.id)) == 2


async def test_a_commune_taken_away_is_heard_of_no_more_and_one_given_is(
    gateway: Gateway, client: httpx.AsyncClient, make_committee: MakeCommittee
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua", "Niangoloko"], [MAYOR])
    await text(client, "+22676000501", "URGENT des hommes armés à Niangoloko")
    [before] = await outbox(gateway, "alert")
    assert "Niangoloko" in before.body
    await _change_areas(gateway, committee.id, ["Zégoua", "Banfora"])

    await text(client, "+22676000502", "URGENT on tire au marché de Niangoloko")
    await text(client, "+22676000503", "URGENT des hommes armés à Banfora")
    alerts = await outbox(gateway, "alert")
    assert [a.id for a in alerts][0] == before.id  # the alert already sent stays as it was
    assert len(alerts) == 2
    assert "Banfora" in alerts[1].body
    assert await recipients(gateway, alerts) == [MAYOR.phone, MAYOR.phone]

    # The mayor may answer the reports of the committee's communes as they are now, and no other.
    async with gateway.sessionmaker() as db:
        references = list((await db.execute(select(Report.reference).order_by(Report.id))).scalars())
    for reference in references:
        await text(client, MAYOR.phone, f"OK {reference}")
    async with gateway.sessionmaker() as db:
        statuses = dict((await db.execute(select(Report.reference, Report.status))).all())
    assert [statuses[r] for r in references] == ["forwarded", "new", "acknowledged"]
    tr = gateway.engine.catalogs.translator("fr")
    to_mayor = [m.body for m in await outbox(gateway, "reply") if m.language == "fr"]
    for reference in references[:2]:
        not_yours = to_gsm7(tr.gettext("sms.member.not_yours").format(reference=reference), "fr")
        assert not_yours in to_mayor, reference


async def test_placeless_alerts_follow_the_country_of_the_new_areas(
    gateway: Gateway, client: httpx.AsyncClient, make_committee: MakeCommittee
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR])

    async def placeless_urgent(phone: str) -> None:
        await text(client, phone, "URGENT on tire sur la route")
        async with gateway.sessionmaker() as db, db.begin():
            await db.execute(update(Report).values(place_asked_at=utcnow() - timedelta(minutes=10)))
        await gateway.placeless.step()

    await placeless_urgent("+22376000511")  # a Malian number: Mali's committees hear of it
    assert len(await outbox(gateway, "alert")) == 1
    await _change_areas(gateway, committee.id, ["Banfora"])  # now a committee of Burkina Faso
    await placeless_urgent("+22376000512")
    assert len(await outbox(gateway, "alert")) == 1
    await placeless_urgent("+22676000513")
    assert len(await outbox(gateway, "alert")) == 2


async def test_the_next_summary_counts_the_new_areas_under_the_new_name(
    gateway: Gateway, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua", "Niangoloko"], [MAYOR], "daily 08:00")
    now = utcnow()

    async def due(at: object) -> None:
        async with gateway.sessionmaker() as db, db.begin():
            await db.execute(update(Committee).values(next_digest_at=at, last_digest_until=None))

    await make_report("Zégoua", at=now - timedelta(hours=30))
    await due(now - timedelta(days=1))
    assert await gateway.scheduler.run_due(now - timedelta(days=1)) == 1
    [first] = await outbox(gateway, "summary")
    assert "Comité Zégoua" in first.body

    for commune in ("Zégoua", "Niangoloko", "Niangoloko", "Banfora"):
        await make_report(commune, at=now - timedelta(hours=2))
    async with gateway.sessionmaker() as db, db.begin():
        row = await db.get(Committee, committee.id)
        assert row is not None
        await change_committee(
            db, row, name="Comité Zégoua-Banfora", areas_of=areas_named(db, ["Zégoua", "Banfora"]), by=BY
        )
        row.next_digest_at = now - timedelta(minutes=1)
    assert await gateway.scheduler.run_due(now) == 1
    first_again, second = await outbox(gateway, "summary")
    assert (first_again.id, first_again.body) == (first.id, first.body)  # what went out stays
    assert "Comité Zégoua-Banfora" in second.body
    assert "2 signalements" in second.body  # Zégoua's and Banfora's; Niangoloko's two are not its
    async with gateway.sessionmaker() as db:
        digests = list((await db.execute(select(Digest).order_by(Digest.id))).scalars())
        niangoloko = (
            await db.execute(select(func.count()).where(Report.status == "new"))
        ).scalar_one()  # Niangoloko's reports: not summarised, so not forwarded
    assert [d.total for d in digests] == [1, 2]
    assert niangoloko == 2


async def test_what_a_committee_reads_follows_its_areas(
    gateway: Gateway, make_committee: MakeCommittee
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [])

    @dataclass(frozen=True)
    class Member:
        role: str = "committee"
        committee_id: int | None = committee.id

    async with gateway.sessionmaker() as db:
        before = await reach(db, gateway, Member())
    await _change_areas(gateway, committee.id, ["cercle:Kadiolo"])
    async with gateway.sessionmaker() as db:
        after = await reach(db, gateway, Member())
    assert before is not None
    assert after is not None
    assert before < after  # Zégoua is one of Kadiolo's communes


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (MemberChange(language="en"), "language", "language"),
        (MemberChange(phone="abc"), "phone", "phone"),
        (MemberChange(phone="7610"), "phone", "phone"),
        (MemberChange(language="bm", phone=DEPUTY.phone), "phone", "phone_taken"),
        (MemberChange(language="bm", phone="76 10 05 02"), "phone", "phone_taken"),  # written otherwise
    ],
)
async def test_a_bad_member_change_is_refused_and_changes_nothing(
    gateway: Gateway, make_committee: MakeCommittee, change: MemberChange, field: str, code: str
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR, DEPUTY])
    with pytest.raises(CommitteeError) as refused:
        await _change_member(gateway, committee.id, change)
    assert (refused.value.field, refused.value.code) == (field, code)
    async with gateway.sessionmaker() as db:
        mayor, _ = await committee_members(db, committee.id)
    assert mayor.language == "fr"
    assert gateway.vault.decrypt(mayor.phone_encrypted) == MAYOR.phone
    assert await _audit(gateway, "committees.member_update") == []


async def test_a_new_number_and_language_take_over_and_the_log_never_holds_the_number(
    gateway: Gateway, client: httpx.AsyncClient, make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR])
    # The number is another committee's member's: that is no reason to refuse it here.
    await make_committee("Comité Kadiolo", ["cercle:Kadiolo"], [NewMember("Autre", NEW_NUMBER, "fr")])
    await text(client, "+22376000521", "URGENT des hommes armés à Zégoua")
    assert await _change_member(gateway, committee.id, MemberChange(language="fr", phone=MAYOR.phone)) == []
    changed = await _change_member(gateway, committee.id, MemberChange(language="bm", phone="76 10 05 99"))
    assert changed == ["language fr -> bm", "number changed"]
    [audit] = await _audit(gateway, "committees.member_update")
    assert audit.detail.endswith(": language fr -> bm, number changed")
    for digits in ("76100599", "76 10 05 99", "599", "76100501"):
        assert digits not in audit.detail
    async with gateway.sessionmaker() as db:
        [mayor] = await committee_members(db, committee.id)
    assert gateway.vault.decrypt(mayor.phone_encrypted) == NEW_NUMBER  # normalised
    assert mayor.phone_hash == gateway.vault.lookup_hash(NEW_NUMBER)

    await text(client, "+22376000522", "URGENT on tire au marché de Zégoua")
    alerts = await outbox(gateway, "alert")
    # The first report's alerts went to the old number and to the other committee's member, and stay
    # so; the second's goes to the new number once (one alert per phone), in the mayor's Bambara.
    assert await recipients(gateway, alerts) == [MAYOR.phone, NEW_NUMBER, NEW_NUMBER]
    assert [a.language for a in alerts] == ["fr", "fr", "bm"]
    async with gateway.sessionmaker() as db:
        first = (await db.execute(select(Report).order_by(Report.id))).scalars().first()
    assert first is not None
    await text(client, MAYOR.phone, f"OK {first.reference}")  # the old number is no member now
    async with gateway.sessionmaker() as db:
        assert (await db.get(Report, first.id)).status == "forwarded"  # type: ignore[union-attr]
    await text(client, NEW_NUMBER, f"OK {first.reference}")
    async with gateway.sessionmaker() as db:
        assert (await db.get(Report, first.id)).status == "acknowledged"  # type: ignore[union-attr]


async def test_wishes_are_one_member_change_among_others(
    gateway: Gateway, make_committee: MakeCommittee
) -> None:
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR])
    async with gateway.sessionmaker() as db, db.begin():
        [mayor] = await committee_members(db, committee.id)
        assert await set_member_wishes(db, mayor, summaries=False, alerts=True, by=BY) == ["summaries off"]
        member = await committee_member(db, committee.id, mayor.id)
        both = MemberChange(summaries=True, alerts=False, language="dyu")
        assert await change_member(db, gateway.vault, member, both, "ML", by=BY) == [
            "language fr -> dyu",
            "summaries on",
            "alerts off",
        ]
    async with gateway.sessionmaker() as db:
        row = await db.get(CommitteeMember, mayor.id)
    assert row is not None
    assert (row.language, row.receives_summaries, row.receives_alerts) == ("dyu", True, False)
    assert len(await _audit(gateway, "committees.member_update")) == 2
