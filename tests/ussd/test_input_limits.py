"""The free-text screen: length limits, emoji, '*', navigation keys."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.reports.models import Report
from gateway.wiring import Gateway
from tests.helpers import UssdCaller

TO_DESCRIPTION = ("1", "1", "1", "1", "Banfora")  # fr, report, security, urgent, the commune typed


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("x" * 500, True),
        ("x" * 501, False),
        ("ab", False),
        ("   a     ", False),  # surrounding spaces do not count
        ("Des tirs 😀 près de la frontière", True),
        ("Ɲɔgɔn kɛlɛ * sugu la", True),
        ("*", False),
    ],
)
async def test_description_limits(caller: UssdCaller, gateway: Gateway, text: str, accepted: bool) -> None:
    await caller.dial()
    for answer in TO_DESCRIPTION:
        await caller.send(answer)
    screen = await caller.send(text)
    tr = gateway.engine.catalogs.translator("fr")
    if accepted:
        assert "Anonyme" in screen  # the send screen
        assert (await caller.send("1")).startswith("END ")
        async with gateway.sessionmaker() as db:
            report = (await db.execute(select(Report))).scalar_one()
        assert report.description == " ".join(text.split())
    else:
        hint = tr.gettext("ussd.error.too_long" if len(text) > 500 else "ussd.error.too_short")
        assert hint.split()[0] in screen
