from __future__ import annotations

from sqlalchemy import select

from gateway.reports.models import Report
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway
from tests.helpers import UssdCaller


async def _cut_off_mid_report(caller: UssdCaller) -> None:
    await caller.dial()
    for answer in ("1", "1", "2", "2", "Bama"):  # fr, report, community conflict, serious, the commune
        await caller.send(answer)


async def test_caller_cut_off_can_continue_where_they_stopped(caller: UssdCaller, gateway: Gateway) -> None:
    await _cut_off_mid_report(caller)
    screen = await caller.dial()
    assert "Vous n'aviez pas termine" in screen or "terminé" in screen
    screen = await caller.send("1")  # continue
    assert "Décrivez" in screen  # back on the description screen, answers kept
    screen = await caller.send("Conflit autour d'un puits")
    assert screen.startswith("CON Bama. Envoyer")  # the commune typed before the drop
    end = await caller.send("2")  # with my number
    assert end.startswith("END ")
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report))).scalar_one()
        sessions = (await db.execute(select(UssdSession).order_by(UssdSession.id))).scalars().all()
    assert report.topic == "community_conflict"
    assert report.urgency == "serious"
    assert not report.anonymous
    assert sessions[0].outcome == "resumed"
    assert sessions[0].state == {}
    assert sessions[1].resumed_from == sessions[0].id


async def test_restart_discards_and_is_not_offered_again(caller: UssdCaller) -> None:
    await _cut_off_mid_report(caller)
    await caller.dial()
    home = await caller.send("2")  # start again
    assert "Signaler un problème" in home.replace("è", "è")
    again = await caller.dial()
    assert "Que voulez-vous faire" in again


async def test_no_offer_after_the_window(caller: UssdCaller, gateway: Gateway) -> None:
    await _cut_off_mid_report(caller)
    window = gateway.ussd.resume_window
    gateway.ussd.resume_window = window * 0
    try:
        screen = await caller.dial()
    finally:
        gateway.ussd.resume_window = window
    assert "Que voulez-vous faire" in screen


async def test_other_callers_are_not_offered_someone_elses_report(caller: UssdCaller) -> None:
    await _cut_off_mid_report(caller)
    other = UssdCaller(caller.client, phone="+22370000002")
    screen = await other.dial()
    assert "Choisissez votre langue" in screen
