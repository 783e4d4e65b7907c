"""What a broadcast says to someone who reads a given language."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_time
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.broadcasts.models import Broadcast, Meeting
from gateway.i18n.catalogs import Catalogs
from gateway.i18n.dates import CLDR, day_month, own_locale_data
from gateway.ussd.render import fill


def clock(moment: datetime, language: str, locales_dir: Path) -> str:
    """09:30 (Babel, fr and bm) or the project's pattern for dyu and mos."""
    if language in CLDR:
        return str(format_time(moment, "HH:mm", locale=CLDR[language]))
    pattern = str(own_locale_data(locales_dir, language).get("time") or "{hour:02d}h{minute:02d}")
    return pattern.format(hour=moment.hour, minute=moment.minute)


class BroadcastTexts:
    def __init__(self, catalogs: Catalogs, locales_dir: Path) -> None:
        self.catalogs = catalogs
        self.locales_dir = locales_dir

    async def render(self, db: AsyncSession, broadcast: Broadcast, language: str) -> tuple[str, str] | None:
        """(text, language the organiser's words are in), or None when there is nothing to send."""
        if broadcast.kind == "announcement":
            return self._pick(broadcast.texts, language, broadcast.french_fallback)
        meeting = await db.get(Meeting, broadcast.meeting_id) if broadcast.meeting_id else None
        if meeting is None:
            return None
        title = self._pick(meeting.title, language, broadcast.french_fallback)
        if title is None:
            return None
        agenda = self._pick(meeting.agenda, title[1], True)
        local = meeting.starts_at.astimezone(ZoneInfo(meeting.timezone))
        msgid = "notice.reminder" if broadcast.kind == "reminder" else "notice.meeting"
        text = fill(
            self.catalogs.translator(language).gettext(msgid),
            {
                "title": title[0],
                "date": day_month(local.date(), language, self.locales_dir),
                "time": clock(local, language, self.locales_dir),
                "place": meeting.place,
                "agenda": agenda[0] if agenda else "",
            },
        )
        return " ".join(text.split()), title[1]

    @staticmethod
    def _pick(texts: dict[str, str], language: str, french_fallback: bool) -> tuple[str, str] | None:
        if texts.get(language):
            return texts[language], language
        if french_fallback and texts.get("fr"):
            return texts["fr"], "fr"
        return None
