"""Subscriptions, meetings, broadcasts: creating them, what a dry run shows, RSVP and the counts.
Callers own the transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.directory import AreaDirectory
from gateway.areas.models import Area
from gateway.broadcasts.models import Broadcast, BroadcastArea, BroadcastRecipient, Meeting, Subscription
from gateway.broadcasts.texts import BroadcastTexts
from gateway.committees.coverage import communes_under
from gateway.committees.service import CommitteeError, find_areas
from gateway.contacts.models import Contact
from gateway.db.base import utcnow
from gateway.i18n.languages import CODES
from gateway.outbox.models import OutboundMessage
from gateway.outbox.service import sms_text

KINDS = ("notice", "reminder", "announcement")
MAX_TEXT = 480  # three GSM-7 segments


class BroadcastError(ValueError):
    """Bad input from an organiser: `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


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


async def _areas(db: AsyncSession, specs: list[str]) -> list[Area]:
    if not specs:
        raise BroadcastError("areas", "name at least one area")
    try:
        return await find_areas(db, specs)
    except CommitteeError as exc:
        raise BroadcastError("areas", str(exc)) from None


def _texts(field_name: str, texts: dict[str, str], required: bool) -> dict[str, str]:
    clean = {lang: " ".join(text.split()) for lang, text in texts.items() if text and text.strip()}
    unknown = sorted(set(clean) - set(CODES))
    if unknown:
        raise BroadcastError(field_name, f"unknown language(s) {', '.join(unknown)} (fr, bm, dyu, mos)")
    if required and not clean:
        raise BroadcastError(field_name, "the text is empty")
    for lang, text in clean.items():
        if len(text) > MAX_TEXT:
            raise BroadcastError(field_name, f"the {lang} text is {len(text)} characters; at most {MAX_TEXT}")
    return clean


async def create_meeting(
    db: AsyncSession,
    *,
    title: dict[str, str],
    place: str,
    area: str | None,
    starts_at: datetime,
    timezone: str,
    agenda: dict[str, str],
) -> Meeting:
    if starts_at.tzinfo is None:
        raise BroadcastError("starts_at", "give the time zone (e.g. 2026-12-05T09:00:00+00:00)")
    if starts_at <= utcnow():
        raise BroadcastError("starts_at", "the meeting is in the past")
    if not place.strip():
        raise BroadcastError("place", "say where the meeting is")
    area_row = (await _areas(db, [area]))[0] if area else None
    meeting = Meeting(
        title=_texts("title", title, required=True),
        place=" ".join(place.split())[:160],
        area_id=area_row.id if area_row else None,
        starts_at=starts_at,
        timezone=timezone,
        agenda=_texts("agenda", agenda, required=False),
    )
    db.add(meeting)
    await db.flush()
    return meeting


async def create_broadcast(
    db: AsyncSession,
    *,
    kind: str,
    areas: list[str],
    send_at: datetime | None,
    meeting: Meeting | None = None,
    texts: dict[str, str] | None = None,
    french_fallback: bool = False,
    created_by: str = "",
) -> Broadcast:
    """A notice for a meeting (with RSVP and, if there is time, a reminder the day before), or a
    plain announcement with its own text per language."""
    if kind not in ("notice", "announcement"):
        raise BroadcastError("kind", "a broadcast is a notice (for a meeting) or an announcement")
    now = utcnow()
    send_at = send_at or now
    if send_at.tzinfo is None:
        raise BroadcastError("send_at", "give the time zone")
    if send_at < now - timedelta(minutes=5):
        raise BroadcastError("send_at", "the sending time is in the past")
    if kind == "notice" and meeting is None:
        raise BroadcastError("meeting_id", "a notice needs a meeting")
    if meeting is not None and send_at >= meeting.starts_at:
        raise BroadcastError("send_at", "the notice would go out after the meeting has started")
    clean = _texts("texts", texts or {}, required=kind == "announcement")
    area_rows = await _areas(db, areas)
    broadcast = Broadcast(
        kind=kind,
        meeting_id=meeting.id if meeting else None,
        texts=clean,
        french_fallback=french_fallback,
        asks_rsvp=kind == "notice",
        send_at=send_at,
        status="scheduled",
        cursor=0,
        created_by=created_by[:160],
    )
    db.add(broadcast)
    await db.flush()
    for area in {a.id: a for a in area_rows}.values():
        db.add(BroadcastArea(broadcast_id=broadcast.id, area_id=area.id))
    if meeting is not None:
        remind_at = meeting.starts_at - timedelta(days=1)
        if remind_at > send_at + timedelta(hours=6):
            db.add(
                Broadcast(
                    kind="reminder",
                    meeting_id=meeting.id,
                    parent_id=broadcast.id,
                    texts={},
                    french_fallback=french_fallback,
                    asks_rsvp=False,
                    send_at=remind_at,
                    status="scheduled",
                    cursor=0,
                    created_by=created_by[:160],
                )
            )
    return broadcast


async def audience_communes(db: AsyncSession, directory: AreaDirectory, broadcast_id: int) -> set[int]:
    area_ids = (
        await db.execute(select(BroadcastArea.area_id).where(BroadcastArea.broadcast_id == broadcast_id))
    ).scalars()
    return communes_under(directory, list(area_ids))


@dataclass
class LanguageLine:
    language: str
    recipients: int
    segments: int
    encoding: str
    missing_text: bool
    sent_as: str  # the language of the text they get ("-" when they get none)


@dataclass
class DryRun:
    lines: list[LanguageLine] = field(default_factory=list)

    @property
    def total_parts(self) -> int:
        return sum(line.recipients * line.segments for line in self.lines if line.sent_as != "-")

    @property
    def recipients(self) -> int:
        return sum(line.recipients for line in self.lines if line.sent_as != "-")


async def dry_run(
    db: AsyncSession,
    directory: AreaDirectory,
    texts: BroadcastTexts,
    broadcast: Broadcast,
    gsm7: bool,
    within: set[int] | None = None,
) -> DryRun:
    """Who would get what; `within` limits the counts to those communes (a committee's view)."""
    communes = await audience_communes(db, directory, broadcast.id)
    if within is not None:
        communes &= within
    counts: dict[str, int] = {}
    rows = await db.execute(
        select(Contact.language, func.count(func.distinct(Contact.id)))
        .join(Subscription, Subscription.contact_id == Contact.id)
        .where(Subscription.area_id.in_(sorted(communes) or [-1]), Contact.opted_out_at.is_(None))
        .group_by(Contact.language)
    )
    for language, count in rows:
        counts[language or "fr"] = counts.get(language or "fr", 0) + count
    result = DryRun()
    for language in CODES:
        rendered = await texts.render(db, broadcast, language)
        if rendered is None:
            result.lines.append(LanguageLine(language, counts.get(language, 0), 0, "-", True, "-"))
            continue
        text, sent_as = rendered
        sms = sms_text(text, language, gsm7)
        result.lines.append(
            LanguageLine(
                language, counts.get(language, 0), sms.segments, sms.encoding, sent_as != language, sent_as
            )
        )
    return result


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
    status = OutboundMessage.status

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    rows = (
        await db.execute(
            select(
                BroadcastRecipient.area_id,
                BroadcastRecipient.language,
                func.count(),
                count(or_(status == "queued", status == "sending")),
                count(status == "sent"),
                count(status == "delivered"),
                count(status == "failed"),
                count(BroadcastRecipient.rsvp == "yes"),
                count(BroadcastRecipient.rsvp == "no"),
                count(BroadcastRecipient.rsvp.is_(None)),
            )
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
