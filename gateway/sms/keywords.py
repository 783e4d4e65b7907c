"""Reading what a resident texted: which command, if any, and what follows it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from gateway.i18n.gsm7 import to_gsm7
from gateway.reports.reference import parse_reference

# Words of a message, without the punctuation and symbols (emoji) around them.
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
COMMANDS = ("stop", "start", "help", "language", "status", "report", "ack", "info", "subscribe", "rsvp")


def fold(text: str) -> str:
    """Case and accents folded; ɛ, ɔ, ɲ, ŋ are letters of their own and stay as they are."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


@dataclass(frozen=True)
class Command:
    kind: str  # one of COMMANDS, or "text" for a plain message
    rest: str  # what follows the keyword (the report text, the language asked for)
    language: str | None = None  # the language whose keyword matched
    reference: str | None = None
    # A lone word that reads as a reference only without its hyphen ("Renard" -> R-ENARD): a
    # status request if such a report exists, else an ordinary message.
    tentative: bool = False


class Keywords:
    def __init__(self, table: dict[str, dict[str, list[str]]]) -> None:
        self.words: dict[str, dict[str, str]] = {}  # kind -> folded word -> language
        for kind, per_language in table.items():
            entries: dict[str, str] = {}
            for language, words in per_language.items():
                for word in words or []:
                    if not isinstance(word, str):  # YAML reads an unquoted YES or NO as a boolean
                        raise ValueError(f"keywords: quote {word!r} under {kind}/{language}")
                    for variant in {fold(word), fold(to_gsm7(word, language))}:
                        entries.setdefault(variant, language)
            self.words[kind] = entries

    @classmethod
    def load(cls, path: Path) -> Keywords:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def parse(self, text: str) -> Command:
        words = text.split()
        if not words:
            return Command("text", "")
        first = fold(words[0].strip(".,:;!?"))
        rest = text.strip()[len(words[0]) :].strip()
        lone = len(words) == 1
        if len(words) <= 2 and (ref := parse_reference(" ".join(words))):
            return Command("status", "", reference=ref, tentative="-" not in text and len(words) == 1)
        for kind in ("stop", "start", "help"):
            if lone and first in self.words.get(kind, {}):
                return Command(kind, "", self.words[kind][first])
        for kind, answer in (("rsvp_yes", "yes"), ("rsvp_no", "no")):
            if lone and first in self.words.get(kind, {}):
                return Command("rsvp", answer, self.words[kind][first])
        if first in self.words.get("subscribe", {}) and len(words) <= 4:
            return Command("subscribe", rest, self.words["subscribe"][first])
        for kind in ("ack", "info"):
            if first in self.words.get(kind, {}) and len(words) <= 3:
                reference = parse_reference(" ".join(words[1:])) if len(words) > 1 else None
                if reference:
                    return Command(kind, rest, self.words[kind][first], reference)
        if first in self.words.get("language", {}) and 1 <= len(words) <= 2:
            return Command("language", rest, self.words["language"][first])
        if first in self.words.get("status", {}) and len(words) == 2:
            return Command("status", rest, self.words["status"][first], parse_reference(rest))
        if first in self.words.get("report", {}):
            return Command("report", rest, self.words["report"][first])
        return Command("text", text.strip())

    def language_named(self, text: str) -> str | None:
        return self.words.get("languages", {}).get(fold(text.strip()))

    def is_courtesy(self, text: str) -> bool:
        """Thanks, a greeting, an emoji: nothing to report, nothing to act on."""
        words = [fold(word) for word in _WORDS.findall(text)]
        courtesy = self.words.get("courtesy", {})
        return all(word in courtesy for word in words)

    def is_urgent(self, text: str) -> bool:
        urgent = self.words.get("urgent", {})
        return any(fold(word.strip(".,:;!?")) in urgent for word in text.split())
