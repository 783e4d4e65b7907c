"""The expander sets aside a broadcast it cannot put into words, once, and goes on with the others
in the same pass; a database failure is not the broadcast's fault and is retried."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from gateway.broadcasts.lifecycle import schedule
from gateway.broadcasts.models import Broadcast, Meeting
from gateway.broadcasts.service import create_broadcast
from gateway.broadcasts.texts import BroadcastTexts, Rendered
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.broadcasts.test_broadcasts import notice, subscribers
from tests.helpers import count

EXPANDER = "gateway.broadcasts.expander"


async def announcement(gateway: Gateway) -> Broadcast:
    """Scheduled to Zégoua, due a moment after whatever was scheduled before it."""
    async with gateway.sessionmaker() as db, db.begin():
        broadcast = await create_broadcast(
            db, kind="announcement", areas=["Zégoua"], send_at=None, texts={"fr": "Route fermée demain."}
        )
        await schedule(db, broadcast, gateway.texts, send_at=utcnow() + timedelta(seconds=1))
        return broadcast


async def status(gateway: Gateway, broadcast_id: int) -> tuple[str, str | None]:
    async with gateway.sessionmaker() as db:
        row = await db.get(Broadcast, broadcast_id)
    assert row is not None
    return row.status, row.failure_reason


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == EXPANDER and "failed" in r.getMessage()]


async def test_a_broadcast_with_an_unknown_time_zone_fails_once_and_the_next_one_goes(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=EXPANDER)
    await subscribers(gateway, [("+22376000701", "fr", "Zégoua")])
    broken = await notice(gateway, fallback=True)
    good = await announcement(gateway)
    # A meeting stored before time zones were checked.
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(
            update(Meeting).where(Meeting.id == broken.meeting_id).values(timezone="Mars/Olympus")
        )

    now = utcnow() + timedelta(minutes=1)
    assert await gateway.expander.expand_once(now) == 1  # the broken one set aside, the next one sent
    assert await status(gateway, good.id) == ("done", None)
    failed, reason = await status(gateway, broken.id)
    assert failed == "failed"
    assert reason is not None
    assert "Mars/Olympus" in reason
    assert await count(gateway, select(func.count()).select_from(OutboundMessage)) == 1

    assert await gateway.expander.expand_all(now) == 0  # not tried again
    assert len(failures(caplog)) == 1
    assert str(broken.id) in failures(caplog)[0]


async def test_any_error_from_a_broadcast_fails_that_broadcast_only(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await subscribers(gateway, [("+22376000711", "fr", "Zégoua")])
    first = await announcement(gateway)
    second = await announcement(gateway)
    render = BroadcastTexts.render

    async def faulty(self: BroadcastTexts, db: object, broadcast: Broadcast, language: str) -> Rendered:
        if broadcast.id == first.id:
            raise KeyError("title")  # any error of its own, not of the database
        return await render(self, db, broadcast, language)  # type: ignore[arg-type]

    monkeypatch.setattr(BroadcastTexts, "render", faulty)
    await gateway.expander.expand_all(utcnow() + timedelta(minutes=1))
    assert await status(gateway, first.id) == ("failed", "KeyError: 'title'")
    assert (await status(gateway, second.id))[0] == "done"


async def test_a_database_failure_is_retried_not_blamed_on_the_broadcast(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    broadcast = await announcement(gateway)

    async def down(self: BroadcastTexts, db: object, broadcast: Broadcast, language: str) -> Rendered:
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(BroadcastTexts, "render", down)
    with pytest.raises(OperationalError):
        await gateway.expander.expand_once(utcnow() + timedelta(minutes=1))
    assert await status(gateway, broadcast.id) == ("scheduled", None)
