"""A report texted to the phone reaches the gateway, and its receipt goes back through the same
phone, with the channel built from settings as `serve` builds it; then the phone's webhooks say
what became of the receipt."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from gateway.channels.providers import build_channels
from gateway.committees.service import NewMember
from gateway.config import Settings
from gateway.outbox.dispatcher import Dispatcher
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.wiring import Gateway
from tests.fakes.android_sms_server import FakePhone
from tests.helpers import MakeCommittee

URL = "/callbacks/android_sms/events"


def through_the_phones(gateway: Gateway, phone_ml: FakePhone, phone_bf: FakePhone) -> Settings:
    """The gateway's settings with the Android channel alone: phone ml for +223, bf for +226,
    no pacing."""
    phones = (
        f"ml=http://127.0.0.1:{phone_ml.port},{phone_ml.username},{phone_ml.password},+223;"
        f"bf=http://127.0.0.1:{phone_bf.port},{phone_bf.username},{phone_bf.password},+226"
    )
    return gateway.settings.model_copy(
        update={
            "channels": "android_sms",
            "android_phones": phones,
            "android_send_interval_s": 0.0,
            "sms_rate_per_s": 0,
        }
    )


async def test_a_texted_report_gets_its_receipt_through_the_same_phone(
    android_gateway: Gateway,
    android_client: httpx.AsyncClient,
    phone_ml: FakePhone,
    phone_bf: FakePhone,
) -> None:
    gateway = android_gateway
    settings = through_the_phones(gateway, phone_ml, phone_bf)
    channels = build_channels(settings)
    hook = phone_bf.received("+22670000001", "Des hommes armés ont bloqué la route de Niangoloko")
    answer = await android_client.post(URL, content=hook.body, headers=hook.headers)
    assert answer.json() == {"status": "stored"}

    assert await Dispatcher(gateway.sessionmaker, channels, gateway.vault, settings).dispatch_once() == 1
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report))).scalar_one()
        receipt = (await db.execute(select(OutboundMessage))).scalar_one()
    assert (receipt.status, receipt.provider) == ("sent", "android_sms")
    [texts] = [phone_bf.sent_to("+22670000001")]
    assert len(texts) == 1
    assert report.reference in texts[0]
    assert phone_ml.messages == {}

    for event in ("sms:sent", "sms:delivered"):
        assert receipt.provider_message_id is not None
        status = phone_bf.status(event, receipt.provider_message_id, "+22670000001")
        response = await android_client.post(URL, content=status.body, headers=status.headers)
        assert response.json() == {"status": "recorded"}
    async with gateway.sessionmaker() as db:
        delivered = await db.get(OutboundMessage, receipt.id)
    assert delivered is not None
    assert delivered.status == "delivered"
    for provider in channels.providers.values():
        await provider.aclose()  # type: ignore[attr-defined]


async def test_an_urgent_texted_report_reaches_its_committee_through_the_phones(
    android_gateway: Gateway,
    android_client: httpx.AsyncClient,
    phone_ml: FakePhone,
    phone_bf: FakePhone,
    make_committee: MakeCommittee,
) -> None:
    gateway = android_gateway
    await make_committee("Niangoloko", ["Niangoloko"], [NewMember("Maire", "+22670000050", "fr")])
    settings = through_the_phones(gateway, phone_ml, phone_bf)
    channels = build_channels(settings)
    hook = phone_bf.received("+22670000001", "URGENT des hommes armés sur la route de Niangoloko")
    assert (await android_client.post(URL, content=hook.body, headers=hook.headers)).json() == {
        "status": "stored"
    }

    dispatcher = Dispatcher(gateway.sessionmaker, channels, gateway.vault, settings)
    while await dispatcher.dispatch_once():
        pass
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report))).scalar_one()
        kinds = sorted((await db.execute(select(OutboundMessage.kind, OutboundMessage.status))).all())
    assert (report.urgency, report.status) == ("urgent", "forwarded")
    assert kinds == [("alert", "sent"), ("receipt", "sent")]
    [alert] = phone_bf.sent_to("+22670000050")
    assert report.reference in alert  # the mayor hears of it, through the Burkina Faso phone
    assert report.reference in phone_bf.sent_to("+22670000001")[0]
    assert phone_ml.messages == {}
    for provider in channels.providers.values():
        await provider.aclose()  # type: ignore[attr-defined]
