"""Subscriptions, broadcasts as drafts, whose areas a broadcast reaches, RSVP and the counts.
Meetings are in meetings.py, status moves in lifecycle.py, the preview in preview.py. Callers own
the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.coverage import communes_under
from gateway.areas.directory import AreaDirectory
from gateway.areas.lookup import AreaLookupError, find_areas
from gateway.areas.models import Area
from gateway.broadcasts.errors import BroadcastError
from gateway.broadcasts.models import Broadcast, BroadcastArea, BroadcastRecipient, Meeting, Subscription
from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.i18n.languages import CODES, SOURCE_LANGUAGE
from gateway.outbox.models import OutboundMessage

KINDS = ("notice", "reminder", "announcement")
MAX_TEXT = 480  # three GSM-7 segments
# A time a few minutes gone is "now" said slowly (a form filled in over a bad connection).
SEND_AT_SLACK = timedelta(minutes=5)


async def subscribe(db: AsyncSession, contact_id: int, area_id: int, channel: str) -> bool:
    """True when new; subscribing twice to the same commune changes nothing."""
    existing = await db.execute(
        select(Subscription.id).where(Subscription.contact_id == contact_id, Subscription.area_id == area_id)
    )
    if existing.scalar_one_or_none() is not None:
        return False
    try:
        async with db.begin_nested():
            db.add(Subscription(contact_id=contact_id, area_id=area_id, channel=channel))
    except IntegrityError:
        return False
    return True


async def find_area_rows(db: AsyncSession, specs: Sequence[str | int]) -> list[Area]:
    """Areas by name (the API's 'Zégoua', 'cercle:Kadiolo') or by id (the console's pickers)."""
    if not specs:
        raise BroadcastError("areas", "name at least one area", "no_area")
    ids = [spec for spec in specs if isinstance(spec, int)]
    names = [spec for spec in specs if isinstance(spec, str)]
    by_id: list[Area] = []
    if ids:
        by_id = list(
            (await db.execute(select(Area).where(Area.id.in_(ids), Area.active.is_(True)))).scalars()
        )
        if len(by_id) < len(set(ids)):
            raise BroadcastError("areas", "unknown area id", "unknown_area")
    try:
        return by_id + (await find_areas(db, names) if names else [])
    except AreaLookupError as exc:
        raise BroadcastError("areas", str(exc), "unknown_area") from None


def clean_texts(field_name: str, texts: dict[str, str], required: bool) -> dict[str, str]:
    """language -> text with white space folded; unknown languages, empty or long texts refused."""
    clean = {lang: " ".join(text.split()) for lang, text in texts.items() if text and text.strip()}
    unknown = sorted(set(clean) - set(CODES))
    if unknown:
        raise BroadcastError(
            field_name, f"unknown language(s) {', '.join(unknown)} (fr, bm, dyu, mos)", "language"
        )
    if required and not clean:
        raise BroadcastError(field_name, "the text is empty", "empty")
    for lang, text in clean.items():
        if len(text) > MAX_TEXT:
            raise BroadcastError(
                field_name, f"the {lang} text is {len(text)} characters; at most {MAX_TEXT}", "long"
            )
    return clean


def clean_languages(languages: Sequence[str]) -> list[str]:
    """The readers' languages a broadcast is limited to, in CODES order, each once; unknown codes
    refused (naming the field). Empty stays empty: every language."""
    wanted = set(languages)
    unknown = sorted(wanted - set(CODES))
    if unknown:
        raise BroadcastError(
            "languages", f"unknown language(s) {', '.join(unknown)} ({', '.join(CODES)})", "language"
        )
    return [code for code in CODES if code in wanted]


def chosen_languages(broadcast: Broadcast) -> tuple[str, ...]:
    """The languages whose readers it goes to: those it is limited to, else every one."""
    return tuple(code for code in CODES if code in broadcast.languages) if broadcast.languages else CODES


def reads_chosen_language(broadcast: Broadcast) -> ColumnElement[bool]:
    """The one rule for who is in a broadcast's languages, used by the expander (who is sent it)
    and the preview (who is counted), so that the two cannot disagree. A contact without a
    language is a French reader, as everywhere else (the expander sends them French)."""
    if not broadcast.languages:
        return true()
    return func.coalesce(Contact.language, SOURCE_LANGUAGE).in_(list(chosen_languages(broadcast)))


def check_send_at(send_at: datetime, meeting: Meeting | None, now: datetime) -> None:
    if send_at.tzinfo is None:
        raise BroadcastError("send_at", "give the time zone", "zone")
    if send_at < now - SEND_AT_SLACK:
        raise BroadcastError("send_at", "the sending time is in the past", "past")
    if meeting is not None and send_at >= meeting.starts_at:
        raise BroadcastError("send_at", "the notice would go out after the meeting has started", "late")


async def create_broadcast(
    db: AsyncSession,
    *,
    kind: str,
    areas: Sequence[str | int],
    send_at: datetime | None,
    meeting: Meeting | None = None,
    texts: dict[str, str] | None = None,
    french_fallback: bool = False,
    created_by: str = "",
    token_id: int | None = None,
    languages: Sequence[str] = (),
) -> Broadcast:
    """A draft: a notice for a meeting (with RSVP), or a plain announcement with its own text per
    language. Nothing goes out until it is scheduled (lifecycle.schedule); `send_at`, if given,
    is the time it will then go at."""
    broadcast, area_rows = await new_broadcast(
        db,
        kind=kind,
        areas=areas,
        send_at=send_at,
        meeting=meeting,
        texts=texts,
        french_fallback=french_fallback,
        created_by=created_by,
        token_id=token_id,
        languages=languages,
    )
    db.add(broadcast)
    await db.flush()
    for area in {a.id: a for a in area_rows}.values():
        db.add(BroadcastArea(broadcast_id=broadcast.id, area_id=area.id))
    return broadcast


async def new_broadcast(
    db: AsyncSession,
    *,
    kind: str,
    areas: Sequence[str | int],
    send_at: datetime | None,
    meeting: Meeting | None = None,
    texts: dict[str, str] | None = None,
    french_fallback: bool = False,
    created_by: str = "",
    token_id: int | None = None,
    languages: Sequence[str] = (),
) -> tuple[Broadcast, list[Area]]:
    """The draft create_broadcast would make and its areas, checked but not added to the session:
    the console's preview of a draft not saved yet is made from it, with the same rules."""
    if kind not in ("notice", "announcement"):
        raise BroadcastError("kind", "a broadcast is a notice (for a meeting) or an announcement")
    if kind == "notice" and meeting is None:
        raise BroadcastError("meeting_id", "a notice needs a meeting")
    check_send_at(send_at or utcnow(), meeting, utcnow())
    clean = clean_texts("texts", texts or {}, required=kind == "announcement")
    chosen = clean_languages(languages)
    area_rows = await find_area_rows(db, areas)
    broadcast = Broadcast(
        kind=kind,
        meeting_id=meeting.id if meeting else None,
        texts=clean,
        french_fallback=french_fallback,
        languages=chosen,
        asks_rsvp=kind == "notice",
        send_at=send_at,
        status="draft",
        cursor=0,
        created_by=created_by[:160],
        token_id=token_id,
    )
    return broadcast, area_rows


def areas_owner(broadcast: Broadcast) -> int:
    """The broadcast whose areas this one goes to: a reminder has its notice's."""
    return broadcast.parent_id if broadcast.kind == "reminder" and broadcast.parent_id else broadcast.id


async def audience_communes(db: AsyncSession, directory: AreaDirectory, broadcast: Broadcast) -> set[int]:
    area_ids = (
        await db.execute(
            select(BroadcastArea.area_id).where(BroadcastArea.broadcast_id == areas_owner(broadcast))
        )
    ).scalars()
    return communes_under(directory, list(area_ids))


async def record_rsvp(db: AsyncSession, contact_id: int, answer: str) -> BroadcastRecipient | None:
    """The answer goes to the latest notice that asked this number and whose meeting is ahead."""
    row = (
        await db.execute(
            select(BroadcastRecipient)
            .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
            .join(Meeting, Meeting.id == Broadcast.meeting_id)
            .where(
                BroadcastRecipient.contact_id == contact_id,
                Broadcast.asks_rsvp.is_(True),
                Meeting.starts_at > utcnow(),
            )
            .order_by(BroadcastRecipient.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is not None:
        row.rsvp, row.rsvp_at = answer, utcnow()
    return row


def _recipient_counts() -> tuple[Any, ...]:
    """Recipients, waiting, sent, delivered, failed, yes, no, no answer: the counts of StatLine and
    Totals, in their order, over recipients joined to their messages."""
    status = OutboundMessage.status

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    return (
        func.count(),
        count(or_(status == "queued", status == "sending")),
        count(status == "sent"),
        count(status == "delivered"),
        count(status == "failed"),
        count(BroadcastRecipient.rsvp == "yes"),
        count(BroadcastRecipient.rsvp == "no"),
        count(BroadcastRecipient.rsvp.is_(None)),
    )


@dataclass(frozen=True)
class StatLine:
    area: str
    language: str
    recipients: int
    queued: int
    sent: int
    delivered: int
    failed: int
    yes: int
    no: int
    no_answer: int


async def broadcast_stats(
    db: AsyncSession, directory: AreaDirectory, broadcast_id: int, within: set[int] | None = None
) -> list[StatLine]:
    """Counts per area and language; `within` keeps those communes only (a committee's view)."""
    rows = (
        await db.execute(
            select(BroadcastRecipient.area_id, BroadcastRecipient.language, *_recipient_counts())
            .outerjoin(OutboundMessage, OutboundMessage.id == BroadcastRecipient.message_id)
            .where(
                BroadcastRecipient.broadcast_id == broadcast_id,
                BroadcastRecipient.area_id.in_(sorted(within)) if within is not None else true(),
            )
            .group_by(BroadcastRecipient.area_id, BroadcastRecipient.language)
            .order_by(BroadcastRecipient.area_id, BroadcastRecipient.language)
        )
    ).all()
    out = []
    for area_id, language, *numbers in rows:
        place = directory.get(area_id)
        out.append(StatLine(place.name if place else "-", language, *(int(n or 0) for n in numbers)))
    return out


@dataclass(frozen=True)
class Totals:
    """One broadcast's counts, all areas and languages together (the console's lists)."""

    recipients: int = 0
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    yes: int = 0
    no: int = 0
    no_answer: int = 0


async def broadcast_totals(
    db: AsyncSession, broadcast_ids: Sequence[int], within: set[int] | None = None
) -> dict[int, Totals]:
    """broadcast id -> its counts, in one query for a whole page of broadcasts; those with no
    recipient yet (drafts, scheduled ones) get zeros. `within` as in broadcast_stats."""
    rows = await db.execute(
        select(BroadcastRecipient.broadcast_id, *_recipient_counts())
        .outerjoin(OutboundMessage, OutboundMessage.id == BroadcastRecipient.message_id)
        .where(
            BroadcastRecipient.broadcast_id.in_(sorted(set(broadcast_ids)) or [-1]),
            BroadcastRecipient.area_id.in_(sorted(within)) if within is not None else true(),
        )
        .group_by(BroadcastRecipient.broadcast_id)
    )
    found = {int(broadcast_id): Totals(*(int(n or 0) for n in numbers)) for broadcast_id, *numbers in rows}
    return {broadcast_id: found.get(broadcast_id, Totals()) for broadcast_id in broadcast_ids}
