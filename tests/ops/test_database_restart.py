"""PostgreSQL stopped hard and started again while callbacks keep arriving.

The test runs on its own PostgreSQL cluster (tests/ops/private_postgres.py): stopping the shared
server would break every other user of it, the rest of this test run included. The cluster is
stopped with `-m immediate`, as in a crash: no checkpoint, recovery at the next start."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select

from gateway.channels.africastalking.sms_client import AfricasTalkingSms
from gateway.outbox.dispatcher import Dispatcher
from gateway.outbox.models import OutboundMessage
from gateway.reports.models import Report
from gateway.sms.models import InboundMessage
from gateway.wiring import Gateway
from tests.fakes.at_server import FakeAfricasTalking
from tests.helpers import StartDispatcher, UssdCaller, count, eventually
from tests.ops.private_postgres import Cluster


async def test_callbacks_through_a_database_crash_are_stored_once_or_refused(
    cluster: Cluster,
    private_gateway: tuple[Gateway, httpx.AsyncClient],
    at: FakeAfricasTalking,
    at_provider: AfricasTalkingSms,
    start_dispatcher: StartDispatcher,
) -> None:
    gateway, client = private_gateway
    # A worker sends the receipts all along, through the crash.
    settings = gateway.settings.model_copy(
        update={"sms_rate_per_s": 0, "dispatch_poll_s": 0.1, "dispatch_lease_s": 10, "sms_batch_size": 20}
    )
    dispatcher = Dispatcher(gateway.sessionmaker, at_provider, gateway.vault, settings)
    stop_dispatcher, dispatching = start_dispatcher(dispatcher)
    statuses: Counter[int] = Counter()
    sent: list[str] = []
    ussd: Counter[str] = Counter()
    done = asyncio.Event()

    async def texter(k: int) -> None:
        """One phone after another reports by SMS; a refused callback is sent again, as AT does."""
        i = 0
        while not done.is_set():
            message_id, phone = f"crash-{k}-{i}", f"+2237602{k}{i:03d}"
            while True:
                response = await client.post(
                    "/callbacks/africastalking/sms",
                    data={"id": message_id, "from": phone, "text": f"Vol de moto au marché {k}-{i}"},
                )
                statuses[response.status_code] += 1
                if response.status_code == 200:
                    break
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"]
                await asyncio.sleep(0.2)
            sent.append(message_id)
            i += 1

    async def dialler() -> None:
        """Callers keep dialling: each gets the home menu or, while the database is down, the apology."""
        i = 0
        while not done.is_set():
            screen = await UssdCaller(client, f"+22376030{i:03d}").dial()
            ussd["menu" if screen.startswith("CON ") else "apology"] += 1
            assert screen.startswith(("CON ", "END ")), screen
            i += 1
            await asyncio.sleep(0.05)

    workers = [asyncio.create_task(texter(k)) for k in range(4)] + [asyncio.create_task(dialler())]
    # Each phase lasts until what it is there for has happened, however slowly a loaded machine gets
    # to it: a fixed sleep could end before any callback had come in while the database was down.
    try:
        await eventually(
            lambda: statuses[200] > 0 and ussd["menu"] > 0, "callbacks served before the crash", 60
        )
        await asyncio.to_thread(cluster.crash)
        await eventually(
            lambda: statuses[503] > 0 and ussd["apology"] > 0, "callbacks refused while it is down", 60
        )
        await asyncio.to_thread(cluster.start)
        served, menus = statuses[200], ussd["menu"]
        await eventually(
            lambda: statuses[200] > served and ussd["menu"] > menus, "callbacks served after the restart", 60
        )
    finally:
        done.set()
        await asyncio.wait_for(asyncio.gather(*workers), 60)

    assert statuses[503] > 0, "no callback arrived while the database was down"
    assert set(statuses) <= {200, 503}  # never a 500
    assert ussd["apology"] > 0
    assert ussd["menu"] > 0
    assert (await UssdCaller(client, "+22376039999").dial()).startswith("CON ")  # back to normal

    # Every message AT was told "stored" is stored once, with its report and its receipt: nothing
    # half-written by a transaction the crash cut off, nothing counted twice by a retried callback.
    stored = await count(gateway, select(func.count()).select_from(InboundMessage))
    assert stored == len(sent) == len(set(sent))
    assert await count(gateway, select(func.count()).select_from(Report)) == len(sent)
    receipts = select(func.count()).where(OutboundMessage.kind == "receipt")
    assert await count(gateway, receipts) == len(sent)

    # Every receipt reaches its reporter exactly once: an answer the provider gave while the
    # database was down is held and recorded when it is back, not lost to a lease and re-sent.
    sent_receipts = select(func.count()).where(
        OutboundMessage.kind == "receipt", OutboundMessage.status == "sent"
    )

    async def all_receipts_sent() -> bool:
        return await count(gateway, sent_receipts) == len(sent)

    await eventually(all_receipts_sent, "every receipt to be sent", 60)
    stop_dispatcher.set()
    await asyncio.wait_for(dispatching, 30)
    assert await count(gateway, sent_receipts) == len(sent)
    phones = Counter(at.recipients())  # this test's own fake: no other test's request is in it
    assert len(phones) == len(sent)
    assert set(phones.values()) == {1}
