"""The preview: costs, and who a reminder will reach once its notice has gone out."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from gateway.broadcasts.models import Broadcast
from gateway.broadcasts.preview import UNKNOWN, Price, preview
from gateway.wiring import Gateway
from tests.broadcasts.test_broadcasts import notice, subscribers, text


def test_a_cost_is_parts_times_the_price_or_unknown() -> None:
    assert Price(12.5, "XOF").of(3) == 37.5
    assert Price(0.0, "XOF").of(3) == UNKNOWN


async def _readers(gateway: Gateway, broadcast_id: int) -> int:
    async with gateway.sessionmaker() as db:
        row = await db.get_one(Broadcast, broadcast_id)
        shown = await preview(
            db, await gateway.directory.get(db), gateway.texts, row, gsm7=True, price=Price(0, "XOF")
        )
    return shown.recipients


async def test_a_reminder_counts_those_the_notice_reached_who_did_not_say_no(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await subscribers(
        gateway,
        [
            ("+22376000801", "fr", "Zégoua"),
            ("+22376000802", "fr", "Zégoua"),
            ("+22376000803", "fr", "Zégoua"),
        ],
    )
    sent = await notice(gateway, fallback=True)
    async with gateway.sessionmaker() as db:
        reminder = (await db.execute(select(Broadcast.id).where(Broadcast.parent_id == sent.id))).scalar_one()
    assert await _readers(gateway, reminder) == 3  # before the notice: everyone it will reach
    await gateway.expander.expand_all()
    await text(client, "+22376000802", "2")
    assert await _readers(gateway, reminder) == 2
