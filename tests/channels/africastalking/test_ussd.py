"""The AT USSD callbacks, table-driven: what AT (or something pretending to be AT) may post."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway
from tests.helpers import USSD_URL, UssdCaller

FIRST_HOP = {
    "sessionId": "ATUid_5d3b4c2bc589f4811820a7184eed4df5",
    "serviceCode": "*384*1234#",
    "phoneNumber": "+22376000001",
    "networkCode": "61002",
    "text": "",
}


@dataclass
class Case:
    label: str
    form: dict[str, str] | None = None
    body: bytes | None = None
    status: int = 200
    starts: str = "CON "
    contains: list[str] = field(default_factory=list)


CASES = [
    Case("first hop", FIRST_HOP, contains=["1. Francais", "4. Mooré"]),
    Case("no networkCode (legacy docs omit it)", {k: v for k, v in FIRST_HOP.items() if k != "networkCode"}),
    Case("no text field at all is a first hop", {k: v for k, v in FIRST_HOP.items() if k != "text"}),
    Case("missing sessionId", {k: v for k, v in FIRST_HOP.items() if k != "sessionId"}, starts="END "),
    Case("missing phoneNumber", {k: v for k, v in FIRST_HOP.items() if k != "phoneNumber"}, starts="END "),
    Case("malformed phoneNumber", {**FIRST_HOP, "phoneNumber": "not-a-number"}, starts="END "),
    Case("local phone number format", {**FIRST_HOP, "phoneNumber": "76 00 00 01"}),
    Case("Burkina number", {**FIRST_HOP, "phoneNumber": "+22670000001"}),
    Case("5,000 characters of text", {**FIRST_HOP, "text": "x" * 5000}),
    # Dialled with the code, it waits for the main menu (the first-time caller chooses a language first).
    Case("emoji in the first hop", {**FIRST_HOP, "text": "😀"}, contains=["Choisissez votre langue"]),
    Case("NUL in the text", {**FIRST_HOP, "text": "1\x00"}),
    Case("not a form body", body=b"\xff\xfe{garbage", starts="END "),
    Case("empty body", body=b"", starts="END "),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
async def test_ussd_callback(case: Case, client: httpx.AsyncClient) -> None:
    if case.form is not None:
        response = await client.post(USSD_URL, data=case.form)
    else:
        response = await client.post(
            USSD_URL, content=case.body or b"", headers={"content-type": "application/x-www-form-urlencoded"}
        )
    assert response.status_code == case.status
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith(case.starts), response.text
    for text in case.contains:
        assert text in response.text


async def test_a_form_sent_otherwise_than_urlencoded_is_answered_the_same(client: httpx.AsyncClient) -> None:
    # Not what Africa's Talking sends: it goes past the lean ASGI route to the declared one.
    multipart = await client.post(USSD_URL, data=FIRST_HOP, files={"note": ("n.txt", b"x")})
    assert multipart.status_code == 200
    assert multipart.text.startswith("CON ")
    assert "1. Francais" in multipart.text


async def test_wrong_token_is_403_and_right_token_passes(gateway: Gateway) -> None:
    from gateway.app import create_app

    settings = gateway.settings.model_copy(update={"callback_token": "s3cret-token"})
    app = create_app(settings, Gateway(**{**gateway.__dict__, "settings": settings}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.post(USSD_URL, data=FIRST_HOP)).status_code == 403
        assert (await client.post(USSD_URL + "?token=wrong", data=FIRST_HOP)).status_code == 403
        ok = await client.post(USSD_URL + "?token=s3cret-token", data=FIRST_HOP)
        assert ok.status_code == 200
        assert ok.text.startswith("CON ")
        events = await client.post(
            USSD_URL + "/events?token=nope", data={"sessionId": "x", "status": "Success"}
        )
        assert events.status_code == 403


async def test_a_repeated_hop_gets_the_same_answer_and_no_second_effect(
    caller: UssdCaller, gateway: Gateway
) -> None:
    await caller.dial()
    await caller.send("1")
    first = await caller._post("1*1")
    again = await caller._post("1*1")
    assert first == again
    async with gateway.sessionmaker() as db:
        row = (await db.execute(select(UssdSession))).scalar_one()
    assert row.hops == 3


async def test_a_failure_inside_ends_the_session_politely_and_stores_nothing(
    caller: UssdCaller, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await caller.dial()
    await caller.send("2")  # Bamanankan

    async def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(gateway.engine, "handle", boom)
    screen = await caller.send("1")
    tr = gateway.engine.catalogs.translator("bm")
    from gateway.i18n.gsm7 import to_gsm7

    assert screen == "END " + to_gsm7(tr.gettext("ussd.error.internal"), "bm")
    async with gateway.sessionmaker() as db:
        row = (await db.execute(select(UssdSession))).scalar_one()
    assert row.hops == 2  # the failed hop left nothing behind


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"sessionId": "ATUid_x", "status": "Success", "durationInMillis": "1200", "cost": "KES 0.10"}, 200),
        ({"sessionId": "ATUid_x", "status": "Incomplete", "input": "1*1"}, 200),
        ({"sessionId": "ATUid_x", "status": "Failed", "errorMessage": "timeout"}, 200),
        ({"sessionId": "ATUid_x", "status": "SomethingNew"}, 200),
        ({"sessionId": "ATUid_x", "status": "Success", "durationInMillis": "abc", "cost": "0.1"}, 200),
        ({"status": "Success"}, 400),
    ],
)
async def test_session_end_events(form: dict[str, str], status: int, client: httpx.AsyncClient) -> None:
    response = await client.post(USSD_URL + "/events", data=form)
    assert response.status_code == status


async def test_session_end_event_is_recorded_for_drop_off_counts(
    caller: UssdCaller, gateway: Gateway
) -> None:
    from gateway.ussd.stats import drop_off

    await caller.dial()
    await caller.send("3")
    await caller.send("1")
    await caller.client.post(
        USSD_URL + "/events",
        data={
            "sessionId": caller.session_id,
            "status": "Incomplete",
            "durationInMillis": "30500",
            "hopsCount": "3",
        },
    )
    async with gateway.sessionmaker() as db:
        row = (await db.execute(select(UssdSession))).scalar_one()
        rows = await drop_off(db)
    assert (row.end_status, row.duration_ms, row.last_screen) == ("Incomplete", 30500, "report:topic")
    assert [(r.language, r.screen, r.end_status, r.sessions) for r in rows] == [
        ("dyu", "report:topic", "Incomplete", 1)
    ]


def test_the_hop_is_served_by_its_lean_route_and_still_documented(gateway: Gateway) -> None:
    from gateway.app import create_app
    from gateway.channels.africastalking.ussd import HopRoute
    from gateway.http.body_limit import BodyLimit

    app = create_app(gateway.settings, gateway)
    # Answered inside the body limit, before FastAPI's routing.
    assert [m.cls for m in app.user_middleware] == [BodyLimit, HopRoute]
    hop = app.openapi()["paths"]["/callbacks/africastalking/ussd"]["post"]
    assert "text/plain" in hop["responses"]["200"]["content"]
