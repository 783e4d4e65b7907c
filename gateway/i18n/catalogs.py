"""Message catalogs: read from locales/<code>/LC_MESSAGES/messages.po, compiled in memory.

Babel 2.18 drops the Plural-Forms header of catalogs whose locale CLDR does not know (dyu, mos)
when it compiles them, and Python's gettext then falls back to English plural rules. Compiling
here with the header kept avoids that, and needs no build step before `serve`.

Unreviewed translations (flag `fuzzy`, or the legacy `draft`) are compiled in and shown: see
`compile_catalog` and docs/translation.md.
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
from babel.messages.pofile import PoFileParser, write_po

from gateway.i18n.flags import is_translated
from gateway.i18n.languages import CODES, chain

# Wide enough that no msgstr or comment is wrapped: the catalogs are written one line per string.
_NO_WRAP = 100_000


class _KeepPluralCatalog(Catalog):
    def _get_mime_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = super()._get_mime_headers()
        if self.locale is None and not any(key == "Plural-Forms" for key, _ in headers):
            headers.append(("Plural-Forms", self.plural_forms))
        return headers

    mime_headers = property(_get_mime_headers, Catalog._set_mime_headers)


def po_path(locales_dir: Path, code: str) -> Path:
    return locales_dir / code / "LC_MESSAGES" / "messages.po"


class ProjectCatalog(Catalog):
    """A catalog that writes back the header lines it was read with, in their order.

    Babel rewrites the header from its own fields: it drops the ones it does not know
    (X-Review-Status) and, for dyu and mos, Plural-Forms; it adds placeholder ones
    (Last-Translator: FULL NAME …). The review tools rewrite catalogs and must do neither.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.raw_headers: list[tuple[str, str]] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def _get_raw(self) -> list[tuple[str, str]]:
        if not self.raw_headers:
            return Catalog._get_mime_headers(self)
        headers = [(name, value.rstrip("\n")) for name, value in self.raw_headers]
        # Every header line ends in \n, the last one too (Babel ends its own Generated-By so).
        name, value = headers[-1]
        headers[-1] = (name, value + "\n")
        return headers

    def _set_raw(self, headers: list[tuple[str, str]]) -> None:
        headers = list(headers)
        Catalog._set_mime_headers(self, headers)
        self.raw_headers = [(str(name), str(value)) for name, value in headers]

    mime_headers = property(_get_raw, _set_raw)

    def header(self, name: str) -> str:
        return next((value for key, value in self.raw_headers if key.lower() == name.lower()), "")

    def set_header(self, name: str, value: str) -> None:
        if not self.raw_headers:
            self.raw_headers = Catalog._get_mime_headers(self)
        for index, (key, _) in enumerate(self.raw_headers):
            if key.lower() == name.lower():
                self.raw_headers[index] = (key, value)
                return
        self.raw_headers.append((name, value))


def read_catalog(path: Path) -> ProjectCatalog:
    catalog = ProjectCatalog()
    with path.open("rb") as handle:
        PoFileParser(catalog, ignore_obsolete=False).parse(handle)
    return catalog


def po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=_NO_WRAP, omit_header=False, sort_output=False)
    return buffer.getvalue()


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Written whole to a sibling file, then renamed: a reader never sees half a catalog."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(po_bytes(catalog))
    partial.replace(path)


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
    # Unreviewed ("fuzzy") entries are compiled in, unlike msgfmt's default: every bm/dyu/mos
    # text is a draft awaiting native review, and a Mooré reader is better served by it than by
    # French. `gateway i18n status` and the review sheets report them (docs/translation.md).
    write_mo(buffer, catalog, use_fuzzy=True)
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

    def __init__(self, locales_dir: Path, catalogs: dict[str, Catalog] | None = None) -> None:
        """`catalogs`: ones already in memory (a review checked before it is written)."""
        self.locales_dir = locales_dir
        self.catalogs: dict[str, Catalog] = (
            catalogs
            if catalogs is not None
            else {
                code: read_catalog(po_path(locales_dir, code))
                for code in CODES
                if po_path(locales_dir, code).exists()
            }
        )
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


def key_of(message: Message) -> str:
    """The symbolic id, for a plural entry too (whose id is a pair)."""
    return message.id if isinstance(message.id, str) else message.id[0]


def by_key(catalog: Catalog) -> dict[str, Message]:
    return {key_of(message): message for message in iter_messages(catalog)}
