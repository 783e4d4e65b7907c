"""The flood counter counts a number for a minute under a key that changes daily, then forgets it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gateway.flood.counter import FloodCounter, expire
from gateway.flood.models import FloodMark
from gateway.wiring import Gateway

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


async def test_the_limit_is_per_number_per_minute(gateway: Gateway) -> None:
    counter = FloodCounter(gateway.pseudonyms, "ussd", per_minute=3)

    async def hit(phone: str, seconds: int) -> bool:
        async with gateway.sessionmaker() as db, db.begin():  # one hop, one transaction
            return await counter.hit(db, phone, NOON + timedelta(seconds=seconds))

    assert [await hit("+22376000001", i) for i in range(5)] == [False, False, False, True, True]
    assert await hit("+22376000002", 5) is False
    assert await hit("+22376000001", 61) is True  # four hits (12:00:01 to :04) still within the minute
    assert await hit("+22376000001", 200) is False


async def test_marks_say_nothing_of_the_number_and_go_after_the_minute(gateway: Gateway) -> None:
    counter = FloodCounter(gateway.pseudonyms, "ussd", per_minute=3)
    phone = "+22376000003"
    async with gateway.sessionmaker() as db, db.begin():
        await counter.hit(db, phone, NOON)
    async with gateway.sessionmaker() as db:
        [mark] = (await db.execute(select(FloodMark))).scalars()
    assert mark.key not in (gateway.vault.lookup_hash(phone), phone)
    async with gateway.sessionmaker() as db, db.begin():
        assert await expire(db, NOON + timedelta(seconds=59)) == 0
        assert await expire(db, NOON + timedelta(seconds=61)) == 1


def test_the_key_of_a_number_changes_every_day(gateway: Gateway) -> None:
    key = gateway.pseudonyms.flood_key
    today = key("ussd", "+22376000004", NOON.date())
    assert key("ussd", "+22376000004", NOON.date()) == today
    assert key("ussd", "+22376000004", (NOON + timedelta(days=1)).date()) != today
    assert key("sms", "+22376000004", NOON.date()) != today
    assert key("ussd", "+22376000005", NOON.date()) != today
