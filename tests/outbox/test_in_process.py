"""`gateway serve` with the embedded database sends the outbox itself."""

from __future__ import annotations

from sqlalchemy import select

from gateway.app import create_app
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.helpers import eventually


async def test_serve_runs_the_dispatcher_in_process(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await gateway.outbox.enqueue(db, phone="+22376000001", text="Bonjour", language="fr", kind="reply")
    settings = gateway.settings.model_copy(update={"dispatch_in_process": True, "dispatch_poll_s": 0.05})
    app = create_app(settings)

    async def sent() -> bool:
        async with gateway.sessionmaker() as db:
            return (await db.execute(select(OutboundMessage.status))).scalar_one() == "sent"

    async with app.router.lifespan_context(app):
        await eventually(sent, "the app's own dispatcher to send the message")


def test_in_process_default_follows_the_database(gateway: Gateway) -> None:
    assert Gateway.build(
        gateway.settings.model_copy(update={"database_url": "sqlite+aiosqlite:///x.db"})
    ).dispatch_in_process
    pg = gateway.settings.model_copy(update={"database_url": "postgresql+asyncpg://u@h/db"})
    assert not Gateway.build(pg).dispatch_in_process
    assert Gateway.build(pg.model_copy(update={"dispatch_in_process": True})).dispatch_in_process
