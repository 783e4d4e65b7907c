"""Message catalogs: read from locales/<code>/LC_MESSAGES/messages.po, compiled in memory.

Babel 2.18 drops the Plural-Forms header of catalogs whose locale CLDR does not know (dyu, mos)
when it compiles them, and Python's gettext then falls back to English plural rules. Compiling
here with the header kept avoids that, and needs no build step before `serve`.
"""

from __future__ import annotations

import copy
import gettext
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from gateway.i18n.languages import CODES, chain

DRAFT_FLAG = "draft"


class _KeepPluralCatalog(Catalog):
    def _get_mime_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = super()._get_mime_headers()
        if self.locale is None and not any(key == "Plural-Forms" for key, _ in headers):
            headers.append(("Plural-Forms", self.plural_forms))
        return headers

    mime_headers = property(_get_mime_headers, Catalog._set_mime_headers)


def po_path(locales_dir: Path, code: str) -> Path:
    return locales_dir / code / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        catalog: Catalog = read_po(handle)
    return catalog


def compile_catalog(source: Catalog) -> gettext.GNUTranslations:
    # Babel writes an untranslated plural form as its msgid, which would then be shown as is;
    # leaving the message out lets the fallback chain answer instead. (A copy: the review
    # tools still read the untranslated entries and their comments.)
    catalog = copy.deepcopy(source)
    for message in list(catalog):
        if message.id and not is_translated(message):
            catalog.delete(message.id, message.context)
    catalog.__class__ = _KeepPluralCatalog
    buffer = io.BytesIO()
    # Drafts are real translations awaiting review: they are shown (better than French to a
    # Mooré reader) but reported by `gateway i18n status`. Fuzzy entries are not shown.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class _MissingCatalog(gettext.NullTranslations):
    """End of every chain: records what fell all the way through, so checks can name it."""

    def __init__(self, missing: set[str]) -> None:
        super().__init__()
        self._missing = missing

    def gettext(self, message: str) -> str:
        self._missing.add(message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self._missing.add(msgid1)
        return msgid1 if n == 1 else msgid2


@dataclass
class Translator:
    """gettext for one language with its fallback chain (dyu -> bm -> fr)."""

    code: str
    translations: gettext.NullTranslations
    missing: set[str] = field(default_factory=set)

    def gettext(self, msgid: str) -> str:
        return self.translations.gettext(msgid)

    def ngettext(self, msgid: str, msgid_plural: str, n: int) -> str:
        return self.translations.ngettext(msgid, msgid_plural, n)


class Catalogs:
    """All catalogs of a locales directory, with one translator per language, built once."""

    def __init__(self, locales_dir: Path) -> None:
        self.locales_dir = locales_dir
        self.catalogs: dict[str, Catalog] = {
            code: read_catalog(po_path(locales_dir, code))
            for code in CODES
            if po_path(locales_dir, code).exists()
        }
        self._translators = {code: self._build(code) for code in CODES}

    def translator(self, code: str) -> Translator:
        return self._translators[code]

    def _build(self, code: str) -> Translator:
        missing: set[str] = set()
        # Every chain compiles its own nodes: add_fallback mutates the node it is called on.
        nodes: list[gettext.NullTranslations] = [
            compile_catalog(self.catalogs[link]) for link in chain(code) if link in self.catalogs
        ]
        nodes.append(_MissingCatalog(missing))
        for node, fallback in zip(nodes, nodes[1:], strict=False):
            node.add_fallback(fallback)
        return Translator(code, nodes[0], missing)


def iter_messages(catalog: Catalog) -> Iterator[Message]:
    for message in catalog:
        if message.id:
            yield message


def is_translated(message: Message) -> bool:
    if isinstance(message.string, tuple | list):
        return all(bool(s) for s in message.string)
    return bool(message.string)
