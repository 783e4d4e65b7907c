"""An SMS report reaches the committees of its place: found in the text, asked for once when it is
not there, and an urgent one does not wait for an answer that may never come."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update

from gateway.areas.models import Area
from gateway.committees.service import NewMember
from gateway.contacts.service import find_contact
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.wiring import Gateway
from tests.helpers import MakeCommittee
from tests.sms.test_service import expected, replies, reports, text

ZEGOUA_MAYOR = NewMember("Maire de Zégoua", "+22376100101", "fr", "maire")
NIANGOLOKO_MAYOR = NewMember("Maire de Niangoloko", "+22670100102", "fr", "maire")


async def _commune(gateway: Gateway, name: str) -> int:
    async with gateway.sessionmaker() as db:
        return int((await db.execute(select(Area.id).where(Area.name == name, Area.level == 3))).scalar_one())


async def _alerts_to(gateway: Gateway, phone: str) -> list[str]:
    async with gateway.sessionmaker() as db:
        rows = (await db.execute(select(OutboundMessage).where(OutboundMessage.kind == "alert"))).scalars()
        return [m.body for m in rows if gateway.vault.decrypt(m.phone_encrypted) == phone]


async def _committees(make_committee: MakeCommittee) -> None:
    await make_committee("Comité Zégoua", ["Zégoua"], [ZEGOUA_MAYOR])
    await make_committee("Comité Niangoloko", ["Niangoloko"], [NIANGOLOKO_MAYOR])


async def test_a_place_named_in_the_text_routes_the_report_at_once(
    client: httpx.AsyncClient, gateway: Gateway, make_committee: MakeCommittee
) -> None:
    await _committees(make_committee)
    await text(client, "+22376000201", "URGENT coups de feu au marché de Zégoua maintenant")
    [report] = await reports(gateway)
    assert (report.area_id, report.urgency, report.status) == (
        await _commune(gateway, "Zégoua"),
        "urgent",
        "forwarded",
    )
    assert len(await _alerts_to(gateway, ZEGOUA_MAYOR.phone)) == 1
    assert await _alerts_to(gateway, NIANGOLOKO_MAYOR.phone) == []
    [receipt] = [m for m in await replies(gateway) if m.kind == "receipt"]
    assert receipt.body == expected(gateway, "fr", "sms.receipt", reference=report.reference)
    async with gateway.sessionmaker() as db:
        contact = await find_contact(db, gateway.vault, "+22376000201")
    assert contact is not None
    assert contact.home_area_id == report.area_id


async def test_without_a_place_the_sender_is_asked_once_and_the_answer_places_it(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await text(client, "+22376000202", "Vol de bétail hier soir, trois boeufs")
    [report] = await reports(gateway)
    assert report.area_id is None
    assert report.place_asked_at is not None
    [asked] = await replies(gateway)
    assert asked.body == expected(gateway, "fr", "sms.receipt.where", reference=report.reference)
    await text(client, "+22376000202", "Zegoua")  # accents and case aside
    [report] = await reports(gateway)
    assert report.area_id == await _commune(gateway, "Zégoua")
    assert report.placed_at is not None
    assert (await replies(gateway))[-1].body == expected(
        gateway, "fr", "sms.report.placed", reference=report.reference, place="Zégoua Kadiolo"
    )
    # Placed now, it is in the next summary of Zégoua's committee, not before it.


async def test_an_answer_that_is_no_place_is_a_follow_up_and_nobody_asks_again(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await text(client, "+22376000203", "Des hommes armés ont pris nos motos")
    await text(client, "+22376000203", "Ils étaient cinq")
    [report] = await reports(gateway)
    assert report.description.endswith("\nIls étaient cinq")
    assert report.area_id is None
    bodies = [m.body for m in await replies(gateway)]
    assert bodies[-1] == expected(gateway, "fr", "sms.followup", reference=report.reference)
    assert sum("Où cela" in b for b in bodies) == 1


async def test_a_shared_name_is_settled_by_the_country_or_asked_about(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await text(client, "+22376000204", "Conflit foncier à Kourouma")  # a Malian number: Kourouma, Sikasso
    await text(client, "+221770000205", "Conflit foncier à Kourouma")  # a Senegalese number: asked which
    mali, other = await reports(gateway)
    async with gateway.sessionmaker() as db:
        sikasso = (await db.execute(select(Area).where(Area.id == mali.area_id))).scalar_one()
    assert (sikasso.name, sikasso.country_code) == ("Kourouma", "ML")
    assert other.area_id is None
    assert (await replies(gateway))[-1].body == expected(
        gateway,
        "fr",
        "sms.receipt.which",
        reference=other.reference,
        options="Kourouma Kénédougou / Kourouma Sikasso",
    )
    await text(client, "+221770000205", "Kourouma Kénédougou")
    [_, other] = await reports(gateway)
    async with gateway.sessionmaker() as db:
        placed = (await db.execute(select(Area).where(Area.id == other.area_id))).scalar_one()
    assert (placed.name, placed.country_code) == ("Kourouma", "BF")


async def test_an_urgent_report_without_a_place_reaches_the_usual_communes_committee_in_time(
    client: httpx.AsyncClient, gateway: Gateway, make_committee: MakeCommittee
) -> None:
    await _committees(make_committee)
    await text(client, "+22376000206", "AVIS Zégoua")  # their usual commune, learnt
    await text(client, "+22376000206", "URGENT des hommes armés ici")
    [report] = await reports(gateway)
    assert report.area_id is None
    assert await gateway.placeless.step() == 0  # not yet: the sender may still say where
    assert await _alerts_to(gateway, ZEGOUA_MAYOR.phone) == []
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Report).values(place_asked_at=utcnow() - timedelta(minutes=10)))
    await gateway.placeless.step()
    [alert] = await _alerts_to(gateway, ZEGOUA_MAYOR.phone)
    assert "non confirmé" in alert
    [report] = await reports(gateway)
    assert (report.area_id, report.place_confirmed) == (await _commune(gateway, "Zégoua"), False)
    # The sender says where after all: Niangoloko's committee hears of it; Zégoua's is not told twice.
    await text(client, "+22376000206", "Niangoloko")
    [report] = await reports(gateway)
    assert (report.area_id, report.place_confirmed) == (await _commune(gateway, "Niangoloko"), True)
    assert len(await _alerts_to(gateway, NIANGOLOKO_MAYOR.phone)) == 1
    assert len(await _alerts_to(gateway, ZEGOUA_MAYOR.phone)) == 1
    await gateway.placeless.step()
    assert len(await _alerts_to(gateway, ZEGOUA_MAYOR.phone)) == 1


async def test_with_no_usual_commune_the_countrys_committees_hear_and_may_answer(
    client: httpx.AsyncClient, gateway: Gateway, make_committee: MakeCommittee
) -> None:
    await _committees(make_committee)
    await text(client, "+22376000207", "URGENT on tire sur la route")
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Report).values(place_asked_at=utcnow() - timedelta(minutes=10)))
    await gateway.placeless.step()
    [alert] = await _alerts_to(gateway, ZEGOUA_MAYOR.phone)  # a Malian number: Mali's committees
    assert "lieu non précisé" in alert
    assert await _alerts_to(gateway, NIANGOLOKO_MAYOR.phone) == []
    [report] = await reports(gateway)
    await text(client, ZEGOUA_MAYOR.phone, f"OK {report.reference}")
    [report] = await reports(gateway)
    assert report.status == "acknowledged"


async def test_stop_is_honoured_in_the_middle_of_a_flood(client: httpx.AsyncClient, gateway: Gateway) -> None:
    for n in range(gateway.settings.flood_sms_per_min + 2):
        await text(client, "+22376000208", f"message {n} sur le vol de moto")
    await text(client, "+22376000208", "STOP")
    async with gateway.sessionmaker() as db:
        contact = await find_contact(db, gateway.vault, "+22376000208")
    assert contact is not None
    assert contact.opted_out_at is not None
    assert (await replies(gateway))[-1].body == expected(gateway, "fr", "sms.stopped")


async def test_thanks_and_emoji_are_no_reports(client: httpx.AsyncClient, gateway: Gateway) -> None:
    await text(client, "+22376000209", "Merci")
    await text(client, "+22376000209", "ok 👍")
    await text(client, "+22376000209", "🙏🙏🙏")
    assert await reports(gateway) == []
    assert [m.body for m in await replies(gateway)] == [expected(gateway, "fr", "sms.help")]  # once
    await text(client, "+22376000210", "Vol de bétail à Fourou")
    await text(client, "+22376000210", "Merci beaucoup")  # after a report: no follow-up, no answer
    [report] = await reports(gateway)
    assert report.description == "Vol de bétail à Fourou"
    assert len(await replies(gateway)) == 2


async def test_follow_ups_are_acknowledged_once_per_burst(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await text(client, "+22376000211", "Vol de bétail à Fourou")
    for detail in ("Trois boeufs", "Vers la frontière", "Deux motos"):
        await text(client, "+22376000211", detail)
    [report] = await reports(gateway)
    assert report.description.count("\n") == 3
    followups = [m for m in await replies(gateway) if "Ajouté" in m.body]
    assert len(followups) == 1


async def test_avis_says_which_commune_or_that_it_is_unknown(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await text(client, "+221770000212", "AVIS Kourouma")
    await text(client, "+221770000212", "AVIS Nowhere")
    await text(client, "+22376000213", "AVIS commune:Kadiolo")
    which, unknown, kadiolo = (m.body for m in await replies(gateway))
    assert which == expected(
        gateway,
        "fr",
        "sms.subscribe.which",
        place="Kourouma",
        options="AVIS Kourouma Kénédougou / AVIS Kourouma Sikasso",
    )
    assert unknown == expected(gateway, "fr", "sms.subscribe.unknown", place="Nowhere")
    assert kadiolo == expected(gateway, "fr", "sms.subscribed", place="Kadiolo Kadiolo")
