"""Meeting notices: subscribing (USSD, after a report, SMS), preview, batched expansion, RSVP,
reminders, counts."""

from __future__ import annotations

import itertools
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from gateway.broadcasts.lifecycle import schedule
from gateway.broadcasts.meetings import create_meeting
from gateway.broadcasts.models import Broadcast, BroadcastRecipient, Subscription
from gateway.broadcasts.preview import Price, preview
from gateway.broadcasts.service import BroadcastError, broadcast_stats, create_broadcast, subscribe
from gateway.contacts.service import get_or_create_contact
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.helpers import UssdCaller

_ids = itertools.count()


async def text(client: httpx.AsyncClient, phone: str, body: str) -> None:
    response = await client.post(
        "/callbacks/africastalking/sms", data={"from": phone, "text": body, "id": f"b-{next(_ids)}"}
    )
    assert response.status_code == 200


async def subscribers(gateway: Gateway, people: list[tuple[str, str, str]]) -> None:
    """(phone, language, commune) each subscribed to that commune."""
    from gateway.areas.models import Area

    async with gateway.sessionmaker() as db, db.begin():
        for phone, language, commune in people:
            contact = await get_or_create_contact(db, gateway.vault, phone)
            contact.language = language
            area = (await db.execute(select(Area).where(Area.name == commune, Area.level == 3))).scalar_one()
            await db.flush()
            await subscribe(db, contact.id, area.id, "sms")


async def notice(gateway: Gateway, *, fallback: bool, languages: tuple[str, ...] = ("fr", "bm")) -> Broadcast:
    """A notice to Zégoua and Niangoloko for a meeting in five days, scheduled to go now."""
    titles = {"fr": "Forum frontalier", "bm": "Dancɛ lajɛ", "dyu": "Dancɛ lajɛ", "mos": "Tõnd lagem-n-taoore"}
    async with gateway.sessionmaker() as db, db.begin():
        meeting = await create_meeting(
            db,
            title={k: v for k, v in titles.items() if k in languages},
            place="Mairie de Zégoua",
            area="Zégoua",
            starts_at=utcnow() + timedelta(days=5),
            timezone="Africa/Bamako",
            agenda={"fr": "Sécurité du marché."},
        )
        broadcast = await create_broadcast(
            db,
            kind="notice",
            areas=["Zégoua", "Niangoloko"],
            send_at=None,
            meeting=meeting,
            french_fallback=fallback,
        )
        await schedule(db, broadcast, gateway.texts)
        return broadcast


async def test_subscribing_by_ussd_by_sms_and_after_a_report(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    caller = UssdCaller(client, "+22376000201")
    await caller.dial()
    for answer in ("1", "4", "1", "1"):  # fr, notices, Mali, Kadiolo
        await caller.send(answer)
    done = await caller.send("9")  # Zégoua
    assert done.startswith("END ")
    assert "Zégoua" in done or "Zegoua" in done

    reporter = UssdCaller(client, "+22376000202")
    await reporter.dial()
    for answer in ("1", "1", "1", "1", "Diou", "Vol de moto"):  # fr, report, security, urgent, …
        await reporter.send(answer)
    assert (await reporter.send("3")).startswith("END ")  # with my number and meeting notices

    anonymous = UssdCaller(client, "+22376000203")
    await anonymous.dial()
    for answer in ("1", "1", "1", "1", "Diou", "Vol de moto"):
        await anonymous.send(answer)
    assert (await anonymous.send("1")).startswith("END ")  # anonymous: no subscription

    await text(client, "+22670000204", "AVIS Niangoloko")
    await text(client, "+22670000205", "AVIS")  # no usual commune known: asked which
    await text(client, "+22670000206", "AVIS Atlantis")
    async with gateway.sessionmaker() as db:
        count = (await db.execute(select(func.count()).select_from(Subscription))).scalar_one()
        replies = list(
            (
                await db.execute(
                    select(OutboundMessage.body)
                    .where(OutboundMessage.kind == "reply")
                    .order_by(OutboundMessage.id)
                )
            ).scalars()
        )
    assert count == 3
    assert "Niangoloko" in replies[-3]
    assert "AVIS" in replies[-2]
    assert "AVIS" in replies[-1]


async def test_preview_counts_languages_segments_and_missing_text(gateway: Gateway) -> None:
    await subscribers(
        gateway,
        [
            ("+22376000301", "fr", "Zégoua"),
            ("+22376000302", "bm", "Zégoua"),
            ("+22670000303", "mos", "Niangoloko"),
            ("+22670000304", "dyu", "Niangoloko"),
        ],
    )
    strict = await notice(gateway, fallback=False)
    async with gateway.sessionmaker() as db:
        result = await preview(
            db, await gateway.directory.get(db), gateway.texts, strict, gsm7=True, price=Price(0, "XOF")
        )
    lines = {line.language: line for line in result.lines}
    assert (lines["fr"].recipients, lines["fr"].missing_text) == (1, False)
    assert lines["fr"].segments >= 1
    assert lines["mos"].sent_as == "-"  # no Mooré title and no French allowed: not sent
    # Dioula falls back to Bambara (not French, which is not allowed here), and says so.
    assert (lines["dyu"].sent_as, lines["dyu"].missing_text) == ("bm", True)
    assert lines["dyu"].fallbacks["title"] == "bm"
    assert result.recipients == 3
    assert result.total_parts == lines["fr"].segments + lines["bm"].segments + lines["dyu"].segments


async def test_expansion_in_batches_never_twice_and_rsvp(
    client: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [
        (f"+2237600{i:04d}", ("fr", "bm", "dyu", "mos")[i % 4], ("Zégoua", "Niangoloko")[i % 2])
        for i in range(23)
    ]
    await subscribers(gateway, people)
    async with gateway.sessionmaker() as db, db.begin():
        stopped = await get_or_create_contact(db, gateway.vault, people[0][0])
        stopped.opted_out_at = utcnow()  # STOP: no notice
    broadcast = await notice(gateway, fallback=True)
    monkeypatch.setattr(gateway.expander, "batch", 5)
    assert await gateway.expander.expand_once() > 0  # one batch
    async with gateway.sessionmaker() as db, db.begin():
        row = await db.get(Broadcast, broadcast.id)
        assert row is not None
        assert (row.status, row.cursor > 0) == ("expanding", True)
        # A worker dying here loses nothing: the next one goes on from the cursor.
    await gateway.expander.expand_all()
    async with gateway.sessionmaker() as db:
        notices = list(
            (await db.execute(select(OutboundMessage).where(OutboundMessage.kind == "notice"))).scalars()
        )
        row = await db.get(Broadcast, broadcast.id)
    assert row is not None
    assert row.status == "done"
    assert len(notices) == 22  # 23 subscribers, one stopped
    assert len({m.phone_hash for m in notices}) == 22
    assert {m.language for m in notices} == {"fr", "bm", "dyu", "mos"}
    fr = next(m.body for m in notices if m.language == "fr")
    assert "Forum frontalier" in fr
    assert "Mairie de Zégoua" in fr or "Mairie de Zegoua" in fr
    assert "1 (oui)" in fr
    # Running again (say after a restart) adds nobody.
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(
            update(Broadcast).where(Broadcast.id == broadcast.id).values(status="scheduled", cursor=0)
        )
    await gateway.expander.expand_all()
    async with gateway.sessionmaker() as db:
        assert (
            await db.execute(select(func.count()).where(OutboundMessage.kind == "notice"))
        ).scalar_one() == 22

    await text(client, people[1][0], "1")
    await text(client, people[2][0], "Ayi")
    await text(client, people[3][0], "2")
    await text(client, "+22376009999", "1")  # never asked
    async with gateway.sessionmaker() as db:
        stats = await broadcast_stats(db, await gateway.directory.get(db), broadcast.id)
        # In the order they were written: PostgreSQL returns rows in no set order without one.
        replies = list(
            (
                await db.execute(
                    select(OutboundMessage.body)
                    .where(OutboundMessage.kind == "reply")
                    .order_by(OutboundMessage.id)
                )
            ).scalars()
        )
    assert sum(s.yes for s in stats) == 1
    assert sum(s.no for s in stats) == 2
    assert sum(s.no_answer for s in stats) == 19
    assert sum(s.queued for s in stats) == 22
    assert {s.area for s in stats} == {"Zégoua", "Niangoloko"}
    assert "Aucune invitation" in replies[-1]


async def test_reminder_goes_to_those_who_did_not_decline(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await subscribers(gateway, [("+22376000401", "fr", "Zégoua"), ("+22376000402", "fr", "Zégoua")])
    broadcast = await notice(gateway, fallback=True)
    await gateway.expander.expand_all()
    await text(client, "+22376000402", "NON")
    async with gateway.sessionmaker() as db:
        reminder = (
            await db.execute(select(Broadcast).where(Broadcast.parent_id == broadcast.id))
        ).scalar_one()
    assert reminder.kind == "reminder"
    await gateway.expander.expand_all()  # not due yet
    await gateway.expander.expand_all(now=reminder.send_at + timedelta(minutes=1))
    async with gateway.sessionmaker() as db:
        reminded = list(
            (
                await db.execute(
                    select(BroadcastRecipient.contact_id).where(
                        BroadcastRecipient.broadcast_id == reminder.id
                    )
                )
            ).scalars()
        )
        body = (
            await db.execute(select(OutboundMessage.body).where(OutboundMessage.body.like("Rappel%")))
        ).scalar_one()
    assert len(reminded) == 1
    assert "demain" in body


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "announcement", "areas": ["Zégoua"], "texts": {}}, "texts"),
        ({"kind": "announcement", "areas": ["Zégoua"], "texts": {"en": "hello"}}, "texts"),
        ({"kind": "announcement", "areas": ["Zégoua"], "texts": {"fr": "x" * 600}}, "texts"),
        ({"kind": "announcement", "areas": [], "texts": {"fr": "Bonjour"}}, "areas"),
        ({"kind": "announcement", "areas": ["Atlantis"], "texts": {"fr": "Bonjour"}}, "areas"),
        ({"kind": "notice", "areas": ["Zégoua"]}, "meeting_id"),
        (
            {"kind": "announcement", "areas": ["Zégoua"], "texts": {"fr": "Bonjour"}, "send_at": "past"},
            "send_at",
        ),
    ],
)
async def test_bad_broadcasts_name_the_field(kwargs: dict[str, object], field: str, gateway: Gateway) -> None:
    if kwargs.get("send_at") == "past":
        kwargs["send_at"] = utcnow() - timedelta(days=1)
    else:
        kwargs.setdefault("send_at", None)
    async with gateway.sessionmaker() as db:
        with pytest.raises(BroadcastError) as raised:
            await create_broadcast(db, **kwargs)  # type: ignore[arg-type]
        await db.rollback()
    assert raised.value.field == field


async def test_meeting_in_the_past_is_refused(gateway: Gateway) -> None:
    async with gateway.sessionmaker() as db:
        with pytest.raises(BroadcastError) as raised:
            await create_meeting(
                db,
                title={"fr": "X"},
                place="Ici",
                area=None,
                starts_at=utcnow() - timedelta(hours=1),
                timezone="Africa/Bamako",
                agenda={},
            )
        await db.rollback()
    assert raised.value.field == "starts_at"


async def test_on_sqlite_the_expander_leaves_the_lock_free_between_batches(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(gateway.expander, "pause", pause)
    await subscribers(gateway, [(f"+2237605{i:04d}", "fr", "Zégoua") for i in range(12)])
    await notice(gateway, fallback=True)
    monkeypatch.setattr(gateway.expander, "batch", 5)
    assert await gateway.expander.expand_all() == 12
    if gateway.settings.is_sqlite:
        assert len(pauses) == 3  # one per batch, each as long as the batch held the lock
        assert all(0 < p <= 1.0 for p in pauses)
    else:
        assert pauses == []  # PostgreSQL readers never wait for the writer


@pytest.mark.parametrize(
    ("agenda", "shown"),
    [("Sécurité du marché", "Sécurité du marché."), ("Le pont ?", "Le pont ?"), ("Fin.", "Fin."), ("  ", "")],
)
def test_the_agenda_ends_its_sentence_before_the_question(agenda: str, shown: str) -> None:
    from gateway.broadcasts.texts import _sentence

    assert _sentence(agenda) == shown
