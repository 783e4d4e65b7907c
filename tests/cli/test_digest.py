"""`gateway digest run`: the due summaries, or one committee's now (named as people type it), or a
dry run that sends nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from gateway.committees.models import Committee, Digest
from gateway.committees.service import NewMember
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.cli.runner import invoke_in_thread
from tests.helpers import MakeCommittee, MakeReport, count

NAME = "Comité Zégoua-Niangoloko"
MAYOR = NewMember("Maire de Zégoua", "+22376100021", "fr")
CHIEF = NewMember("Chef de village", "+22376100022", "bm")
SUMMARIES = select(func.count()).where(OutboundMessage.kind == "summary")


async def test_one_committee_now_by_its_name_typed_plainly(
    gateway: Gateway, env: dict[str, str], make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    await make_committee(NAME, ["Zégoua", "Niangoloko"], [MAYOR, CHIEF])
    await make_report("Zégoua", at=utcnow() - timedelta(hours=1))
    ran = await invoke_in_thread(env, "digest", "run", "--committee", "comite zegoua-niangoloko")
    assert ran.code == 0, ran.err
    assert f"summary of {NAME!r} for " in ran.err
    assert "queued to 2 member(s) (1 bm, 1 fr); next scheduled " in ran.err
    assert ran.out == ""
    assert await count(gateway, SUMMARIES) == 2
    assert await count(gateway, select(func.count()).select_from(Digest)) == 1

    ran = await invoke_in_thread(env, "digest", "run")
    assert (ran.code, ran.err.strip()) == (0, "0 committee summaries queued")
    assert await count(gateway, SUMMARIES) == 2


async def test_a_dry_run_shows_each_language_and_sends_nothing(
    gateway: Gateway, env: dict[str, str], make_committee: MakeCommittee, make_report: MakeReport
) -> None:
    await make_committee(NAME, ["Zégoua"], [MAYOR, CHIEF])
    await make_report("Zégoua", at=utcnow() - timedelta(hours=1))
    ran = await invoke_in_thread(env, "digest", "run", "--committee", "COMITÉ ZÉGOUA NIANGOLOKO", "--dry-run")
    assert ran.code == 0, ran.err
    assert "1 signalement " in ran.out
    assert "[fr] " in ran.err
    assert "[bm] " in ran.err
    assert "not sent (--dry-run)" in ran.err
    assert await count(gateway, SUMMARIES) == 0
    assert await count(gateway, select(func.count()).select_from(Digest)) == 0


async def test_a_dry_run_of_what_is_due(
    gateway: Gateway, env: dict[str, str], make_committee: MakeCommittee
) -> None:
    await make_committee(NAME, ["Zégoua"], [MAYOR])
    await make_committee("Comité Kadiolo", ["cercle:Kadiolo"], [MAYOR])
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(
            update(Committee)
            .where(Committee.name == NAME)
            .values(next_digest_at=utcnow() - timedelta(minutes=1))
        )
    ran = await invoke_in_thread(env, "digest", "run", "--dry-run")
    assert ran.code == 0, ran.err
    assert f"== {NAME} (" in ran.err
    assert "Comité Kadiolo" not in ran.err  # not due
    assert "1 committee summary due; nothing sent (--dry-run)" in ran.err
    assert await count(gateway, SUMMARIES) == 0


async def test_names_that_fold_alike_are_listed(env: dict[str, str], make_committee: MakeCommittee) -> None:
    await make_committee("Comité Zégoua", ["Zégoua"], [MAYOR])
    await make_committee("Comite Zegoua", ["Zégoua"], [CHIEF])
    ran = await invoke_in_thread(env, "digest", "run", "--committee", "comite zegoua")
    assert ran.code == 2
    assert "'Comite Zegoua'" in ran.err
    assert "'Comité Zégoua'" in ran.err
    ran = await invoke_in_thread(env, "digest", "preview", "--committee", "comite  zegoua-niangoloko")
    assert (ran.code, "no committee named" in ran.err) == (2, True)


async def test_nobody_to_send_to(env: dict[str, str], make_committee: MakeCommittee) -> None:
    await make_committee(NAME, ["Zégoua"], [NewMember("Police", "+22376100023", "fr", summaries=False)])
    ran = await invoke_in_thread(env, "digest", "run", "--committee", NAME)
    assert ran.code == 1
    assert "no member takes summaries; nothing sent, nothing recorded" in ran.err
