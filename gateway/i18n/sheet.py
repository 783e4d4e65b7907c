"""A review sheet's content: every screen and SMS of one language beside the French, and under
each the messages it shows first, with their state, length, limit and glossary terms.

The HTML and PDF writers (sheet_html.py, sheet_pdf.py) only lay this out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from babel.messages.catalog import Message

from gateway.i18n.catalogs import Catalogs, by_key
from gateway.i18n.display import Display
from gateway.i18n.flags import is_translated, is_unreviewed
from gateway.i18n.glossary import Term, terms_for
from gateway.i18n.languages import LANGUAGES, chain

REVIEWED, DRAFT, MISSING = "reviewed", "draft", "missing"


@dataclass(frozen=True)
class Entry:
    msgid: str
    text: str  # the catalog's translation ("" when missing), in standard spelling
    shown: str  # what callers get: the translation, or the fallback language's text
    french: str
    state: str  # reviewed | draft | missing
    fallback: str  # the language shown instead, when missing
    length: int
    limit: int | None
    terms: tuple[str, ...]
    notes: tuple[str, ...]  # translators' comments (TODO(review) …)

    @property
    def over(self) -> bool:
        return self.limit is not None and self.length > self.limit


@dataclass(frozen=True)
class Item:
    display: Display
    french: Display | None
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Sheet:
    language: str
    name: str
    generated: str
    counts: Mapping[str, int]
    items: tuple[Item, ...]
    others: tuple[Entry, ...]


def build_sheet(
    language: str,
    displays: Iterable[Display],
    french_displays: Iterable[Display],
    catalogs: Catalogs,
    glossary: Mapping[str, list[Term]],
    limits: Mapping[str, int],
    generated: str,
) -> Sheet:
    french_by_key = {d.key: d for d in french_displays}
    entries = _entries(language, catalogs, glossary, limits)
    items: list[Item] = []
    placed: set[str] = set()
    for display in displays:
        if not display.on_sheet:
            continue
        first = [entries[p.msgid] for p in display.parts if p.msgid in entries and p.msgid not in placed]
        placed.update(p.msgid for p in display.parts)
        items.append(Item(display, _pair(display, french_by_key), tuple(first)))
    others = tuple(entry for msgid, entry in entries.items() if msgid not in placed)
    counts = {
        state: sum(1 for e in entries.values() if e.state == state) for state in (REVIEWED, DRAFT, MISSING)
    }
    return Sheet(language, LANGUAGES[language].native_name, generated, counts, tuple(items), others)


def _entries(
    language: str, catalogs: Catalogs, glossary: Mapping[str, list[Term]], limits: Mapping[str, int]
) -> dict[str, Entry]:
    french = by_key(catalogs.catalogs["fr"]) if "fr" in catalogs.catalogs else {}
    own = by_key(catalogs.catalogs[language]) if language in catalogs.catalogs else {}
    out: dict[str, Entry] = {}
    for msgid in dict.fromkeys([*french, *own]):
        message = own.get(msgid)
        text = _text(message) if message is not None and is_translated(message) else ""
        fallback = "" if text else _fallback(catalogs, language, msgid)
        shown = text or (_text(by_key(catalogs.catalogs[fallback])[msgid]) if fallback else msgid)
        state = MISSING if not text else DRAFT if message is not None and is_unreviewed(message) else REVIEWED
        out[msgid] = Entry(
            msgid=msgid,
            text=text,
            shown=shown,
            french=_text(french[msgid]) if msgid in french else "",
            state=state,
            fallback=fallback,
            length=max(len(form) for form in shown.split(" | ")),
            limit=limits.get(msgid),
            terms=tuple(t.label(language) for t in terms_for(dict(glossary), language, msgid, text))
            if text
            else (),
            notes=tuple(message.user_comments) if message is not None else (),
        )
    return out


def _fallback(catalogs: Catalogs, language: str, msgid: str) -> str:
    for code in chain(language)[1:]:
        catalog = catalogs.catalogs.get(code)
        message = by_key(catalog).get(msgid) if catalog is not None else None
        if message is not None and is_translated(message):
            return code
    return ""


def _text(message: Message) -> str:
    if isinstance(message.string, tuple | list):
        return " | ".join(str(s) for s in message.string)
    return str(message.string or "")


def _pair(display: Display, french: Mapping[tuple[str, str, str], Display]) -> Display | None:
    """The same screen in French: the same page if it has one, else its first."""
    if display.key in french:
        return french[display.key]
    bare = ", ".join(b for b in display.variant.split(", ") if not b.startswith("page "))
    for key, candidate in french.items():
        if (
            key[:2] == display.key[:2]
            and ", ".join(b for b in key[2].split(", ") if not b.startswith("page ")) == bare
            and key[2].startswith(("page 1/", bare))
        ):
            return candidate
    return None
