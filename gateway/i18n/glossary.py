"""The glossary terms a message uses, read from locales/GLOSSARY.md's per-language tables.

A table belongs to the language named in its section heading ("## Mooré (mos)") and has a
"chosen" column (the term) and usually "concept", "where used" and "confidence". A message
uses a row when its text contains one of the chosen words (at a word start) or when "where
used" names it. Rows the parser cannot read are skipped: the glossary is prose first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from gateway.i18n.languages import chain

_HEADING = re.compile(r"^##\s+.*\((?P<code>[a-z]{2,3})\)\s*$")
_MARKUP = re.compile(r"[*`_]|\.\.\.|…")
_PARENS = re.compile(r"\(([^()]*)\)")
_SPLIT = re.compile(r"\s*(?:/|;|,)\s*")


@dataclass(frozen=True)
class Term:
    language: str
    concept: str
    chosen: str
    confidence: str
    words: tuple[str, ...]
    used_in: tuple[str, ...]
    source: str = ""  # where the term was found (a dictionary, a corpus, a text), as written

    def label(self, sheet_language: str) -> str:
        origin = f" ({self.language} table)" if self.language != sheet_language else ""
        # The first words say it (sourced, inferred, loanword); the details stay in the glossary.
        short = re.split(r"[(;:]", self.confidence)[0].strip()[:40]
        confidence = f" [{short}]" if short else ""
        return f"{self.chosen} = {self.concept}{confidence}{origin}"


def read_glossary(path: Path) -> dict[str, list[Term]]:
    if not path.exists():
        return {}
    terms: dict[str, list[Term]] = {}
    code: str | None = None
    columns: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            # A language's section is its "## … (code)" heading down to the next section; its
            # "###" subsections (Jula's terms, Mooré's keywords) are still that language's.
            if not line.startswith("###"):
                heading = _HEADING.match(line)
                code = heading.group("code") if heading else None
            columns = None
            continue
        if code is None or not line.lstrip().startswith("|"):
            columns = None if not line.strip() else columns
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if columns is None:
            columns = [cell.lower() for cell in cells]
            continue
        if all(set(cell) <= set("-: ") for cell in cells) or "chosen" not in columns:
            continue
        row = dict(zip(columns, cells, strict=False))
        term = _term(code, row)
        if term is not None:
            terms.setdefault(code, []).append(term)
    return terms


def terms_for(glossary: dict[str, list[Term]], language: str, msgid: str, text: str) -> list[Term]:
    """The rows of the language's table (then of the languages it falls back to, for concepts
    its own table lacks) that the message uses."""
    folded = _fold(text)
    found: list[Term] = []
    concepts: set[str] = set()
    for code in chain(language):
        for term in glossary.get(code, []):
            if code != language and term.concept in concepts:
                continue
            if _uses(term, msgid, folded, own=code == language):
                found.append(term)
                concepts.add(term.concept)
    return found


def _term(code: str, row: dict[str, str]) -> Term | None:
    chosen = _MARKUP.sub("", row.get("chosen", "")).strip()
    if not chosen:
        return None
    inside = [bit for group in _PARENS.findall(chosen) for bit in _SPLIT.split(group)]
    outside = _SPLIT.split(_PARENS.sub(" ", chosen))
    words = tuple(
        dict.fromkeys(
            _fold(word)
            for word in (*outside, *inside)
            if 2 <= len(word.strip()) and len(word.split()) <= 4 and not word.strip().startswith("as ")
        )
    )
    where = row.get("where used", "")
    used_in = tuple(
        bit.strip("` ") for bit in where.split(",") if re.fullmatch(r"`?[a-z0-9_.]+`?", bit.strip())
    )
    return Term(
        code,
        _MARKUP.sub("", row.get("concept", "")).strip(),
        chosen,
        _MARKUP.sub("", row.get("confidence", "")).strip(),
        tuple(w for w in words if w),
        used_in,
        row.get("source", "").strip(),
    )


def _uses(term: Term, msgid: str, folded_text: str, *, own: bool) -> bool:
    # "where used" names the messages of the table's own language only.
    if own and any(msgid == used or msgid.endswith("." + used) for used in term.used_in):
        return True
    return any(re.search(_pattern(word), folded_text) for word in term.words)


def _pattern(word: str) -> str:
    # A short word matches only whole. A longer one matches at a word start, with suffixes
    # (Manding plural -w, past -ra); past 5 letters its last letter may change too (Mooré
    # noun classes: zu-loeego, zu-loeegã).
    if len(word) <= 3:
        return r"(?<!\w)" + re.escape(word) + r"(?!\w)"
    return r"(?<!\w)" + re.escape(word[:-1] if len(word) > 5 else word)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()
