"""Texting the short code: reports, follow-ups, commands, each answered in the sender's language."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from gateway.contacts.service import find_contact
from gateway.db.base import utcnow
from gateway.i18n.gsm7 import to_gsm7
from gateway.i18n.text import fill
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.wiring import Gateway

_ids = itertools.count()


async def text(client: httpx.AsyncClient, phone: str, body: str) -> None:
    response = await client.post(
        "/callbacks/africastalking/sms",
        data={
            "from": phone,
            "to": "28901",
            "text": body,
            "id": f"msg-{next(_ids)}",
            "date": "2026-11-24 08:00:00",
        },
    )
    assert response.status_code == 200, response.text


async def replies(gateway: Gateway) -> list[OutboundMessage]:
    async with gateway.sessionmaker() as db:
        return list((await db.execute(select(OutboundMessage).order_by(OutboundMessage.id))).scalars())


async def reports(gateway: Gateway) -> list[Report]:
    async with gateway.sessionmaker() as db:
        return list((await db.execute(select(Report).order_by(Report.id))).scalars())


def expected(gateway: Gateway, language: str, msgid: str, **values: str) -> str:
    return to_gsm7(fill(gateway.engine.catalogs.translator(language).gettext(msgid), values), language)


@pytest.mark.parametrize(
    ("phone", "body", "language"),
    [
        ("+22376000001", "Des hommes armés ont bloqué la route de Zégoua hier soir", "fr"),
        ("+22376000002", "Mɔgɔw bɛ kɛlɛ la dugu kɔnɔ bi", "bm"),
        ("+22670000003", "Mɔgɔw bɛ kɛlɛ la dugu kɔnɔ bi", "dyu"),
        ("+22670000004", "Ned wʋsgo sẽn be tẽnga, b yaa sõor", "mos"),
    ],
)
async def test_a_plain_text_becomes_a_report_with_a_receipt_in_the_senders_language(
    phone: str, body: str, language: str, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await text(client, phone, body)
    [report] = await reports(gateway)
    assert (report.channel, report.language, report.topic, report.description) == (
        "sms",
        language,
        "other",
        body,
    )
    assert report.contact_id is not None
    [receipt] = await replies(gateway)
    assert receipt.kind == "receipt"
    # A place named in the text: the receipt; none: the receipt asks where, in the same SMS.
    msgid = "sms.receipt" if report.area_id is not None else "sms.receipt.where"
    assert receipt.body == expected(gateway, language, msgid, reference=report.reference)
    assert receipt.encoding == "GSM-7"


async def test_a_second_text_soon_after_is_a_follow_up(client: httpx.AsyncClient, gateway: Gateway) -> None:
    await text(client, "+22376000001", "Vol de bétail à Fourou")
    await text(client, "+22376000001", "Ils sont partis vers la frontière")
    [report] = await reports(gateway)
    assert report.description == "Vol de bétail à Fourou\nIls sont partis vers la frontière"
    assert (await replies(gateway))[-1].body == expected(
        gateway, "fr", "sms.followup", reference=report.reference
    )
    # Outside the window, or with the report keyword, it is a new report.
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(Report).values(created_at=utcnow() - timedelta(hours=1)))
    await text(client, "+22376000001", "Autre chose: un conflit foncier à Kaï")
    await text(client, "+22376000001", "SIGNALER une nouvelle affaire à Misséni")
    assert len(await reports(gateway)) == 3


async def test_a_usual_commune_is_no_place_for_a_report_that_names_none(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    from gateway.areas.models import Area
    from gateway.contacts.service import get_or_create_contact

    async with gateway.sessionmaker() as db, db.begin():
        area = (await db.execute(select(Area).where(Area.name == "Zégoua"))).scalar_one()
        contact = await get_or_create_contact(db, gateway.vault, "+22376000001")
        contact.home_area_id, contact.language = area.id, "fr"
    await text(client, "+22376000001", "URGENT coups de feu au marché")
    [report] = await reports(gateway)
    # Where it happened may not be where the sender lives: asked (the usual commune is only the
    # fallback of an urgent report nobody places in time, tests/sms/test_places.py).
    assert (report.area_id, report.urgency) == (None, "urgent")
    assert report.place_asked_at is not None


@pytest.mark.parametrize(
    ("phone", "stop", "start", "language"),
    [
        ("+22376000001", "STOP", "START", "fr"),
        ("+22376000002", "Arrêt", "start", "fr"),
        ("+22376000003", "DABILA", "START", "bm"),
    ],
)
async def test_stop_and_start(
    phone: str, stop: str, start: str, language: str, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await text(client, phone, stop)
    async with gateway.sessionmaker() as db:
        contact = await find_contact(db, gateway.vault, phone)
    assert contact is not None
    assert contact.opted_out_at is not None
    assert contact.language == language
    assert (await replies(gateway))[-1].body == expected(gateway, language, "sms.stopped")
    await text(client, phone, "Un pont est coupé près de Kadiolo")  # reports are still accepted
    assert len(await reports(gateway)) == 1
    await text(client, phone, start)
    async with gateway.sessionmaker() as db:
        contact = await find_contact(db, gateway.vault, phone)
    assert contact is not None
    assert contact.opted_out_at is None


async def test_language_change_and_help(client: httpx.AsyncClient, gateway: Gateway) -> None:
    await text(client, "+22670000001", "AIDE")
    await text(client, "+22670000001", "LANGUE mooré")
    await text(client, "+22670000001", "LANGUE klingon")
    await text(client, "+22670000001", "Sõnge")
    help_fr, set_mos, unknown_mos, help_mos = (m.body for m in await replies(gateway))
    assert help_fr == expected(gateway, "fr", "sms.help")
    assert set_mos == expected(gateway, "mos", "sms.language.set")
    assert unknown_mos == expected(gateway, "mos", "sms.language.unknown")
    assert help_mos == expected(gateway, "mos", "sms.help")
    assert await reports(gateway) == []


async def test_status_by_reference(client: httpx.AsyncClient, gateway: Gateway) -> None:
    await text(client, "+22376000001", "Tracasseries au poste de Koloko")
    [report] = await reports(gateway)
    await text(client, "+22376000009", report.reference.lower())  # anyone holding the reference
    await text(client, "+22376000009", "R-ZZZZ")
    await text(client, "+22376000010", "R-BE6M")  # letters that read as Manding words decide nothing
    await text(client, "+22376000009", "Renard")  # reads like R-ENARD; no such report, so a report
    await text(client, "+22376000001", f"SUIVI {report.reference}")  # the reporter's own number
    answer, unknown, unknown_be, receipt, own = (m.body for m in (await replies(gateway))[1:])
    assert unknown_be == expected(gateway, "fr", "sms.status.unknown", reference="R-BE6M")
    first, renard = await reports(gateway)
    # Another number learns the status word only; the reporter's own number the date too.
    assert answer == expected(gateway, "fr", "sms.status.brief", reference=report.reference, status="reçu")
    assert own == expected(
        gateway,
        "fr",
        "sms.status.reply",
        reference=report.reference,
        status="reçu",
        date=report.created_at.strftime("%d/%m/%Y"),
    )
    assert unknown == expected(gateway, "fr", "sms.status.unknown", reference="R-ZZZZ")
    assert "Tracasseries" not in answer  # a reference reveals the status, not the content
    assert first.id == report.id
    assert renard.description == "Renard"
    assert receipt == expected(gateway, "fr", "sms.receipt.where", reference=renard.reference)


async def test_status_of_an_anonymous_report_says_only_the_status_and_leaves_nothing(
    client: httpx.AsyncClient, gateway: Gateway, make_report: Any, make_dispatcher: Any
) -> None:
    from gateway.outbox.provider import LogProvider
    from gateway.sms.models import InboundMessage

    report = await make_report("Zégoua", anonymous=True)
    await text(client, "+22376000011", f"SUIVI {report.reference}")
    [answer] = await replies(gateway)
    assert answer.body == expected(
        gateway, "fr", "sms.status.brief", reference=report.reference, status="reçu"
    )
    assert (answer.contact_id, answer.scrub_after_send) == (None, True)
    async with gateway.sessionmaker() as db:
        [question] = (await db.execute(select(InboundMessage.text))).scalars()
    assert report.reference not in question  # which report this number asked about is not kept
    await make_dispatcher(LogProvider()).dispatch_once()
    assert await replies(gateway) == []
