"""What a broadcast will be, before it is scheduled: for each language the exact SMS its readers
get, in how many parts, for how much, and every word that is not in their language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.directory import AreaDirectory
from gateway.broadcasts.errors import BrokenBroadcast
from gateway.broadcasts.models import Broadcast, BroadcastRecipient, Subscription
from gateway.broadcasts.service import audience_communes, chosen_languages, reads_chosen_language
from gateway.broadcasts.texts import NONE, BroadcastTexts, Rendered
from gateway.contacts.models import Contact
from gateway.i18n.languages import CODES, SOURCE_LANGUAGE
from gateway.outbox.service import sms_text

UNKNOWN = "unknown"  # the cost, when no price per SMS part is set


@dataclass(frozen=True)
class Price:
    per_part: float  # 0: not known
    currency: str

    def of(self, parts: int) -> float | str:
        return round(parts * self.per_part, 2) if self.per_part > 0 else UNKNOWN


@dataclass(frozen=True)
class LanguageLine:
    language: str
    recipients: int
    text: str | None  # the SMS body as sent (GSM-7 spelling applied when it is on); None: nothing
    encoding: str
    segments: int
    sent_as: str  # the language of the organiser's main words; "-" when nothing is sent
    fallbacks: dict[str, str]  # part (title, agenda, text, message) -> the language it is in instead
    missing: tuple[str, ...]  # parts left out: a title or text (then nothing is sent), an agenda

    @property
    def parts(self) -> int:
        return self.recipients * self.segments

    @property
    def missing_text(self) -> bool:
        """Anything short of the whole SMS in the reader's own language."""
        return self.text is None or bool(self.fallbacks) or bool(self.missing)


@dataclass
class Preview:
    price: Price
    lines: list[LanguageLine] = field(default_factory=list)
    problem: str | None = None  # why nothing can be sent at all (BrokenBroadcast)

    @property
    def recipients(self) -> int:
        return sum(line.recipients for line in self.lines if line.text is not None)

    @property
    def total_parts(self) -> int:
        return sum(line.parts for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "recipients": self.recipients,
            "sms_parts": self.total_parts,
            "cost": self.price.of(self.total_parts),
            "currency": self.price.currency,
            "problem": self.problem,
            "falls_back_to_french": [
                line.language
                for line in self.lines
                if line.language != SOURCE_LANGUAGE and SOURCE_LANGUAGE in line.fallbacks.values()
            ],
            "gets_nothing": [line.language for line in self.lines if line.text is None],
            "languages": [
                {
                    "language": line.language,
                    "recipients": line.recipients,
                    "text": line.text,
                    "encoding": line.encoding,
                    "segments": line.segments,
                    "parts": line.parts,
                    "cost": self.price.of(line.parts),
                    "sent_as": line.sent_as,
                    "fallbacks": line.fallbacks,
                    "missing": list(line.missing),
                    "missing_text": line.missing_text,
                }
                for line in self.lines
            ],
        }


async def preview(
    db: AsyncSession,
    directory: AreaDirectory,
    texts: BroadcastTexts,
    broadcast: Broadcast,
    *,
    gsm7: bool,
    price: Price,
    within: set[int] | None = None,
    audience: set[int] | None = None,
) -> Preview:
    """Who would get what; `within` limits the counts to those communes (a committee's view).
    `audience`: the communes of a draft not saved yet (service.new_broadcast), which has no areas
    in the database to read them from. A broadcast limited to some languages has a line for each
    of those only: the others' readers get nothing, whatever its French fallback."""
    counts = await _readers(db, directory, broadcast, within, audience)
    result = Preview(price)
    rendered: dict[str, Rendered] = {}
    try:
        # Every language, as the expander and lifecycle.schedule do: a text that cannot be made
        # stops the broadcast whichever languages it goes to.
        for language in CODES:
            rendered[language] = await texts.render(db, broadcast, language)
    except BrokenBroadcast as exc:
        result.problem = str(exc)
        rendered = {}
    for language in chosen_languages(broadcast):
        words = rendered.get(language, Rendered(None, NONE))
        sms = sms_text(words.text, language, gsm7) if words.text is not None else None
        result.lines.append(
            LanguageLine(
                language=language,
                recipients=counts.get(language, 0),
                text=sms.body if sms else None,
                encoding=sms.encoding if sms else NONE,
                segments=sms.segments if sms else 0,
                sent_as=words.sent_as,
                fallbacks=words.fallbacks,
                missing=words.missing,
            )
        )
    return result


async def _readers(
    db: AsyncSession,
    directory: AreaDirectory,
    broadcast: Broadcast,
    within: set[int] | None,
    audience: set[int] | None = None,
) -> dict[str, int]:
    """How many would get it, by language: the subscribers of its communes; for a reminder whose
    notice has begun going out, those the notice reached who have not said no."""
    communes = set(audience) if audience is not None else await audience_communes(db, directory, broadcast)
    if within is not None:
        communes &= within
    where = sorted(communes) or [-1]
    query = (
        select(Contact.language, func.count(func.distinct(Contact.id)))
        .join(Subscription, Subscription.contact_id == Contact.id)
        .where(Subscription.area_id.in_(where))
    )
    if broadcast.kind == "reminder" and broadcast.parent_id is not None:
        notice = await db.get(Broadcast, broadcast.parent_id)
        if notice is not None and (notice.cursor > 0 or notice.status in ("expanding", "done")):
            query = (
                select(Contact.language, func.count(func.distinct(Contact.id)))
                .join(BroadcastRecipient, BroadcastRecipient.contact_id == Contact.id)
                .where(
                    BroadcastRecipient.broadcast_id == notice.id,
                    BroadcastRecipient.area_id.in_(where),
                    BroadcastRecipient.rsvp.is_(None) | (BroadcastRecipient.rsvp == "yes"),
                )
            )
    counts: dict[str, int] = {}
    for language, count in await db.execute(
        query.where(Contact.opted_out_at.is_(None), reads_chosen_language(broadcast)).group_by(
            Contact.language
        )
    ):
        counts[language or "fr"] = counts.get(language or "fr", 0) + count
    return counts
