"""Real `gateway worker` processes sending a notice to Mali and Burkina Faso through the routes
configured in their environment: Burkina Faso through (the fake) Orange, the rest through (the
fake) Africa's Talking, each message once, whichever worker took it."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.fakes.at_server import FakeAfricasTalking
from tests.fakes.orange_server import FakeOrange
from tests.helpers import eventually
from tests.ops.processes import gateway_env, start, stop


async def test_two_workers_follow_the_routes_and_send_each_message_once(
    gateway: Gateway, at: FakeAfricasTalking, orange: FakeOrange
) -> None:
    mali = [f"+2237630{i:04d}" for i in range(12)]
    burkina = [f"+2267030{i:04d}" for i in range(12)]
    async with gateway.sessionmaker() as db, db.begin():
        for number in mali + burkina:
            await gateway.outbox.enqueue(
                db, phone=number, text="Réunion du forum", language="fr", kind="notice"
            )
    env = gateway_env(
        gateway,
        channels="africastalking,orange",
        routes="+226: orange>africastalking; *: africastalking",
        at_api_key=at.api_key,
        at_api_url=at.base_url,
        orange_client_id=orange.client_id,
        orange_client_secret=orange.client_secret,
        orange_sender="+" + orange.sender,
        orange_api_url=orange.base_url,
        orange_rate_per_s="50",
        sms_rate_per_s="0",
        dispatch_poll_s="0.2",
        dispatch_lease_s="30",
    )
    workers = [start(["worker"], env) for _ in range(2)]
    try:

        async def all_sent() -> bool:
            async with gateway.sessionmaker() as db:
                found = await db.execute(select(func.count()).where(OutboundMessage.status == "sent"))
                return int(found.scalar_one()) == len(mali + burkina)

        await eventually(all_sent, "every message sent by the workers", 60)
    finally:
        stop(workers)
    assert sorted(at.recipients()) == mali  # each once
    assert sorted(orange.recipients()) == burkina
    async with gateway.sessionmaker() as db:
        rows = (
            await db.execute(
                select(OutboundMessage.provider, func.count()).group_by(OutboundMessage.provider)
            )
        ).all()
    assert dict(rows) == {"africastalking": 12, "orange": 12}
