"""What a broadcast says to someone who reads a given language, and where its words came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.broadcasts.errors import BrokenBroadcast
from gateway.broadcasts.models import Broadcast, Meeting
from gateway.i18n.catalogs import Catalogs, is_translated
from gateway.i18n.dates import day_month, time_zone, weekday
from gateway.i18n.languages import SOURCE_LANGUAGE, chain
from gateway.i18n.text import fill

NONE = "-"  # the language of a text nobody gets


# One clock for every language of a broadcast (09h30, as notices are written in Mali and Burkina
# Faso): two readers comparing their messages must never wonder whether "09:30" and "09h30" are
# the same meeting.
CLOCK = "{hour:02d}h{minute:02d}"


def clock(moment: datetime) -> str:
    return CLOCK.format(hour=moment.hour, minute=moment.minute)


def meeting_day(day: date, language: str, locales_dir: Path) -> str:
    """The weekday, then the date (samedi 14 août, sibiri 14 uti): people plan by market day. The
    date alone where a language has no weekday names yet, rather than a name in another one."""
    name = weekday(day, language, locales_dir)
    dated = day_month(day, language, locales_dir)
    return f"{name} {dated}" if name else dated


@dataclass(frozen=True)
class Rendered:
    """The text one language gets (None: nothing is sent to it) and, part by part (title, agenda,
    text, and the gateway's own `message` around them), the language used where the reader's own
    was missing, or the parts left out."""

    text: str | None
    sent_as: str  # the language of the organiser's main words (title or text); NONE when not sent
    fallbacks: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()


def pick(texts: dict[str, str], language: str, french: bool) -> tuple[str, str] | None:
    """The organiser's words for `language` along its fallback chain (dyu -> bm -> fr): (text,
    language they are in). French stands in for another language only when `french` allows it."""
    for link in chain(language):
        if link == SOURCE_LANGUAGE and language != SOURCE_LANGUAGE and not french:
            break
        if texts.get(link):
            return texts[link], link
    return None


class BroadcastTexts:
    def __init__(self, catalogs: Catalogs, locales_dir: Path) -> None:
        self.catalogs = catalogs
        self.locales_dir = locales_dir

    async def render(self, db: AsyncSession, broadcast: Broadcast, language: str) -> Rendered:
        """Raises BrokenBroadcast when the broadcast cannot be put into words at all."""
        if broadcast.kind == "announcement":
            words = pick(broadcast.texts, language, broadcast.french_fallback)
            if words is None:
                return Rendered(None, NONE, missing=("text",))
            return Rendered(words[0], words[1], _fell_back(language, text=words[1]))
        meeting = await db.get(Meeting, broadcast.meeting_id) if broadcast.meeting_id else None
        if meeting is None:
            raise BrokenBroadcast(f"the {broadcast.kind}'s meeting no longer exists")
        try:
            zone = time_zone(meeting.timezone)
        except ValueError as exc:
            raise BrokenBroadcast(f"meeting {meeting.id}: {exc}") from None
        title = pick(meeting.title, language, broadcast.french_fallback)
        if title is None:
            return Rendered(None, NONE, missing=("title",))
        reminder = broadcast.kind == "reminder"  # its message has no agenda
        # The agenda may always come in French: the title already decided the notice is sent.
        agenda = None if reminder else pick(meeting.agenda, language, True)
        msgid = "notice.reminder" if reminder else "notice.meeting"
        local = meeting.starts_at.astimezone(zone)
        text = fill(
            self.catalogs.translator(language).gettext(msgid),
            {
                "title": title[0],
                "date": meeting_day(local.date(), language, self.locales_dir),
                "time": clock(local),
                "place": meeting.place,
                "agenda": _sentence(agenda[0]) if agenda else "",
            },
        )
        fallbacks = _fell_back(
            language,
            title=title[1],
            agenda=agenda[1] if agenda else None,
            message=self._catalog_language(msgid, language),
        )
        missing = ("agenda",) if meeting.agenda and agenda is None and not reminder else ()
        return Rendered(" ".join(text.split()), title[1], fallbacks, missing)

    def _catalog_language(self, msgid: str, language: str) -> str:
        """The catalog the gateway's own words come from, as gettext walks the chain."""
        for link in chain(language):
            catalog = self.catalogs.catalogs.get(link)
            message = catalog.get(msgid) if catalog is not None else None
            # Unreviewed (fuzzy) entries are shown too, as gettext's chain does here.
            if message is not None and is_translated(message):
                return link
        return NONE


def _fell_back(language: str, **used: str | None) -> dict[str, str]:
    return {part: source for part, source in used.items() if source is not None and source != language}


def _sentence(text: str) -> str:
    """An organiser's agenda ends in a full stop before the question that follows it."""
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."
