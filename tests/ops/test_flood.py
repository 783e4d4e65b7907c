"""A number that dials or texts too often is slowed with a polite answer; others are not."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from gateway.i18n.gsm7 import to_gsm7
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.wiring import Gateway
from tests.helpers import UssdCaller


async def test_ussd_dialling_flood(client: httpx.AsyncClient, gateway: Gateway) -> None:
    noisy = UssdCaller(client, "+22376000901")
    limit = gateway.settings.flood_ussd_sessions_per_min
    for _ in range(limit):
        assert (await noisy.dial()).startswith("CON ")
    slowed = await noisy.dial()
    assert slowed == "END " + to_gsm7(gateway.engine.catalogs.translator("fr").gettext("ussd.flood"), "fr")
    assert (await UssdCaller(client, "+22376000902").dial()).startswith("CON ")  # someone else: fine


async def test_sms_flood(client: httpx.AsyncClient, gateway: Gateway) -> None:
    limit = gateway.settings.flood_sms_per_min
    for n in range(limit + 3):
        response = await client.post(
            "/callbacks/africastalking/sms",
            data={"from": "+22376000903", "text": f"Message numéro {n}", "id": f"f{n}"},
        )
        assert response.status_code == 200
    await client.post(
        "/callbacks/africastalking/sms", data={"from": "+22376000904", "text": "Vol de moto", "id": "g1"}
    )
    flood = to_gsm7(gateway.engine.catalogs.translator("fr").gettext("sms.flood"), "fr")
    async with gateway.sessionmaker() as db:
        reports = (await db.execute(select(func.count()).select_from(Report))).scalar_one()
        floods = (await db.execute(select(func.count()).where(OutboundMessage.body == flood))).scalar_one()
    assert reports == 2  # the noisy number's first report (the rest followed it up), and the other number's
    assert floods == 1  # said once, not to every message
