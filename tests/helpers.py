from __future__ import annotations

import asyncio
import inspect
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from gateway.channels.africastalking.sms_client import AfricasTalkingSms
    from gateway.outbox.dispatcher import Dispatcher
    from gateway.outbox.models import OutboundMessage
    from gateway.outbox.provider import SmsProvider
    from gateway.outbox.routing import ChannelSet
    from gateway.wiring import Gateway

USSD_URL = "/callbacks/africastalking/ussd"
MakeCommittee = Callable[..., Awaitable[Any]]
MakeReport = Callable[..., Awaitable[Any]]
MakeAtProvider = Callable[..., "AfricasTalkingSms"]
StartDispatcher = Callable[["Dispatcher"], tuple[asyncio.Event, "asyncio.Task[None]"]]
MakeDispatcher = Callable[..., "Dispatcher"]


class UssdCaller:
    """A handset dialling through Africa's Talking: the whole input path on every hop."""

    def __init__(self, client: httpx.AsyncClient, phone: str, service_code: str = "*384*1234#") -> None:
        self.client = client
        self.phone = phone
        self.service_code = service_code
        self.session_id = ""
        self.inputs: list[str] = []

    async def dial(self, *keys: str) -> str:
        """A new session; `keys` dialled with the code (*384*1234*1# is `dial("1")`), which AT
        sends as the first hop's input path."""
        self.session_id = "ATUid_" + secrets.token_hex(16)
        self.inputs = list(keys)
        return await self._post("*".join(self.inputs))

    async def send(self, answer: str) -> str:
        self.inputs.append(answer)
        return await self._post("*".join(self.inputs))

    async def _post(self, text: str) -> str:
        response = await self.client.post(
            USSD_URL,
            data={
                "sessionId": self.session_id,
                "serviceCode": self.service_code,
                "phoneNumber": self.phone,
                "networkCode": "61002",
                "text": text,
            },
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text.startswith(("CON ", "END ")), response.text
        return response.text


async def empty_tables(db: AsyncSession) -> None:
    """Everything a test may have written, children first; the seeded areas stay."""
    from gateway.models import Base

    for table in reversed(Base.metadata.sorted_tables):
        if table.name != "areas":
            await db.execute(table.delete())


async def count(gateway: Any, query: Any) -> int:
    """The integer a `select(func.count())…` query gives, in a session of its own."""
    async with gateway.sessionmaker() as db:
        return int((await db.execute(query)).scalar_one())


async def database_dump(gateway: Any) -> list[tuple[str, str, str]]:
    """Every non-empty value in every table as (table, column, text): what a leaked copy holds."""
    from sqlalchemy import select

    from gateway.models import Base

    found = []
    async with gateway.sessionmaker() as db:
        for table in Base.metadata.sorted_tables:
            for row in (await db.execute(select(table))).mappings():
                for column, value in row.items():
                    if value not in (None, "", {}, []):
                        found.append((table.name, column, str(value)))
    return found


def leaks(dump: list[tuple[str, str, str]], needles: list[str]) -> list[tuple[str, str, str]]:
    """The values that contain any of `needles` (case folded)."""
    folded = [n.casefold() for n in needles if n]
    return [entry for entry in dump if any(n in entry[2].casefold() for n in folded)]


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str, seconds: float = 30) -> None:
    """Until `check()` holds, or an AssertionError naming `what` after `seconds`: a wait that ends as
    soon as the thing has happened, however loaded the machine, instead of a fixed sleep."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s waiting for {what}")
        await asyncio.sleep(0.05)


# -- the outbox ----------------------------------------------------------------------------------


async def enqueue(
    gateway: Gateway, *messages: tuple[str, str], kind: str = "reply", scrub: bool = False
) -> list[int]:
    """Queues each (phone, text), in French, in one transaction; their ids."""
    async with gateway.sessionmaker() as db, db.begin():
        rows = [
            await gateway.outbox.enqueue(
                db, phone=phone, text=text, language="fr", kind=kind, scrub_after_send=scrub
            )
            for phone, text in messages
        ]
        await db.flush()
        return [row.id for row in rows]


async def enqueue_to(
    gateway: Gateway, phones: list[str], text: str = "Avis", kind: str = "notice", scrub: bool = False
) -> list[int]:
    """The same text queued for each of `phones`."""
    return await enqueue(gateway, *[(phone, text) for phone in phones], kind=kind, scrub=scrub)


async def outbox_rows(gateway: Gateway) -> list[OutboundMessage]:
    """Every outbox row, oldest first."""
    from sqlalchemy import select

    from gateway.outbox.models import OutboundMessage

    async with gateway.sessionmaker() as db:
        return list((await db.execute(select(OutboundMessage).order_by(OutboundMessage.id))).scalars())


async def make_due(gateway: Gateway) -> None:
    """Every outbox row due now, as if its retry delay had passed."""
    from sqlalchemy import update

    from gateway.db.base import utcnow
    from gateway.outbox.models import OutboundMessage

    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(update(OutboundMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))


async def sent_message(gateway: Gateway, provider_id: str) -> int:
    """A reply the provider took under `provider_id` (status `sent`), for its delivery reports."""
    async with gateway.sessionmaker() as db, db.begin():
        message = await gateway.outbox.enqueue(
            db, phone="+22376000001", text="x", language="fr", kind="reply"
        )
        message.status, message.provider_message_id = "sent", provider_id
        await db.flush()
        return message.id


def channel_set(routes: str, *providers: SmsProvider) -> ChannelSet:
    """The providers under `routes` (GATEWAY_ROUTES' syntax), as the registry would put them."""
    from gateway.channels.last_channel import last_channels
    from gateway.outbox.routing import ChannelSet, parse_routes

    names = [p.name for p in providers]
    return ChannelSet({p.name: p for p in providers}, parse_routes(routes, names), last_channels)
