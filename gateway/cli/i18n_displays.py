"""What the review commands render for a language: every USSD page (the engine's flows) and every
SMS (the code's messages) with sample values, and the length limit each message gets from them.

Here, at the top of the layers, because it gathers what only the domain packages know: the
flows, the code's message ids, and how long the texts they put in a message can be.
"""

from __future__ import annotations

from datetime import date, datetime

from gateway.areas.csvfile import read_rows
from gateway.areas.directory import AreaDirectory
from gateway.broadcasts.texts import clock, meeting_day
from gateway.committees.notify import EXCERPT, INFO_TEXT
from gateway.config import Settings
from gateway.i18n.catalogs import Catalogs, iter_messages, key_of
from gateway.i18n.dates import day_month
from gateway.i18n.display import Display, Part, derive_limits
from gateway.i18n.gsm7 import septets, to_gsm7
from gateway.i18n.sms_review import render_sms
from gateway.i18n.text import excerpt, finish, placeholders
from gateway.message_ids import CODE_MESSAGES
from gateway.reports.service import STATUSES, TOPICS
from gateway.reports.status import NOTE_IN_SMS
from gateway.ussd.engine import Engine
from gateway.ussd.review_screens import render_screens
from gateway.wiring import build_engine

# Placeholders an SMS fills with a message of its own: the longest one is sampled.
FRAGMENTS: dict[str, list[str]] = {
    "status": [f"report_status.{s}" for s in STATUSES],
    "topic": [f"topic_short.{t}" for t in TOPICS],
}
_SMS_PREFIXES = ("sms.", "alert.", "digest.", "notice.")
# A caller's words as a committee reads them: long enough to reach each message's cut.
_WORDS = (
    "Des hommes armés ont arrêté le camion de coton au poste de Zégoua depuis hier soir, "
    "les chauffeurs demandent de l'aide et la route reste fermée aux motos. "
) * 4


class ReviewSources:
    """Built once per command: the engine, the area list and the catalogs it renders with."""

    def __init__(self, settings: Settings, catalogs: Catalogs | None = None) -> None:
        self.settings = settings
        self.engine: Engine = build_engine(settings, catalogs)
        self.catalogs = self.engine.catalogs
        self.directory = AreaDirectory.from_rows(read_rows(settings.areas_csv))

    async def displays(self, language: str) -> list[Display]:
        screens = await render_screens(self.engine, self.directory, language)
        on_screens = {part.msgid for display in screens for part in display.parts}
        texts = render_sms(
            [i for i in sms_ids() if i not in on_screens],
            self.catalogs.translator(language),
            self.catalogs.translator("fr"),
            self._samples(language),
            FRAGMENTS,
            self._plurals(),
            self.settings.sms_gsm7,
        )
        return [*screens, *self._alone(language, on_screens), *texts]

    def _alone(self, language: str, on_screens: set[str]) -> list[Display]:
        """USSD texts the code shows alone with END (a failure, flood control), not in a flow."""
        tr = self.catalogs.translator(language)
        limit = self.engine.limit
        out = []
        for msgid in CODE_MESSAGES:
            if not msgid.startswith("ussd.") or msgid in on_screens:
                continue
            text = tr.gettext(msgid)
            units = septets(to_gsm7(text, language))
            shown = finish(text, language, limit)
            out.append(
                Display("ussd", msgid, "END, alone", shown, units, limit, (Part(msgid, text, limit - units),))
            )
        return out

    async def limits(self, language: str) -> dict[str, int]:
        return derive_limits(await self.displays(language), FRAGMENTS)

    def brace_format(self) -> set[str]:
        """Ids whose French text has placeholders: their translations must keep the same ones."""
        source = self.catalogs.catalogs.get("fr")
        if source is None:
            return set()
        out = set()
        for message in iter_messages(source):
            forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
            if any(placeholders(form or "") for form in forms):
                out.add(key_of(message))
        return out

    def _plurals(self) -> set[str]:
        source = self.catalogs.catalogs.get("fr")
        return {key_of(m) for m in iter_messages(source) if isinstance(m.id, tuple)} if source else set()

    def _samples(self, language: str) -> dict[str, str]:
        communes = [p.name for p in self.directory.places.values() if p.level == 3] or ["Finkolo Ganadougou"]
        longest = max(communes, key=len)
        # September: the longest French month name, as summaries and notices write dates; the
        # longest a {date} gets is a notice's, with its weekday (a Wednesday: mercredi).
        day = day_month(date(2026, 9, 30), language, self.settings.locales_dir)
        return {
            "reference": "R-7K3F9",
            "date": meeting_day(date(2026, 9, 30), language, self.settings.locales_dir),
            "start": day,
            "end": day,
            "time": clock(datetime(2026, 9, 30, 10, 30)),
            "place": longest,
            "area": longest,
            "options": f"{longest} (Sikasso) / {longest} (Kadiolo)",
            "committee": "Comité de suivi de Kadiolo",
            "total": "12",
            "change": "+3",
            "n": "9",
            "items": "R-7K3F9, R-8M2Q4, R-9P5T7",
            "excerpt": excerpt(_WORDS, EXCERPT),
            "text": excerpt(_WORDS, INFO_TEXT),
            "note": excerpt(_WORDS, NOTE_IN_SMS),
            "title": "Forum transfrontalier de Zégoua",
            "agenda": "Ordre du jour: sécurité des marchés.",
            "limit": "500",
        }


def sms_ids() -> list[str]:
    """The code's messages sent as SMS (the rest are USSD texts or fragments of other texts)."""
    fragments = {m for members in FRAGMENTS.values() for m in members}
    return [i for i in CODE_MESSAGES if i.startswith(_SMS_PREFIXES) and i not in fragments]
