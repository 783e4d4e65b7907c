"""GSM 03.38: which characters a handset can show, what they cost, and the per-language
spelling that keeps standard orthography out of USSD screens and cheap SMS.

Catalogs keep the standard spelling (ɛ ɔ ɲ ŋ ɩ ʋ, tilde vowels); `to_gsm7` is applied on the way
out only. The Manding mappings follow the pre-1982 Bambara spelling (è for ɛ, ò for ɔ, ny for ɲ,
ng for ŋ). Mooré writes a nasal vowel as the vowel and an n (wã -> wan, pʋgẽ -> pugen), as the
French spelling of Mooré names and places does, so that the nasal mark never disappears silently;
ɩ -> i, ʋ -> u, ɛ -> è (locales/GLOSSARY.md, "Mooré on GSM-7 phones").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = "^{}\\[~]|€\f"
_BASIC_SET = frozenset(BASIC) - {"\x1b"}
_EXTENSION_SET = frozenset(EXTENSION)

# Applied to every language: typography and letters French uses that GSM-7 lacks.
_COMMON: dict[str, str] = {
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2007": " ",
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "ʹ": "'",
    "`": "'",
    "´": "'",
    "“": '"',
    "”": '"',
    "«": '"',
    "»": '"',
    "„": '"',
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "…": "...",
    "ç": "c",
    "â": "a",
    "ê": "e",
    "î": "i",
    "ô": "o",
    "û": "u",
    "ë": "e",
    "ï": "i",
    "ÿ": "y",
    "á": "a",
    "í": "i",
    "ó": "o",
    "ú": "u",
    "œ": "oe",
    "æ": "ae",
    "À": "A",
    "Â": "A",
    "È": "E",
    "Ê": "E",
    "Ë": "E",
    "Î": "I",
    "Ï": "I",
    "Ô": "O",
    "Û": "U",
    "Ù": "U",
    "Œ": "OE",
    "Ÿ": "Y",
}
_MANDING: dict[str, str] = {
    "ɛ": "è",
    "ɔ": "ò",
    "ɲ": "ny",
    "ŋ": "ng",
    # È and Ò are not in GSM-7; the capitals lose the accent.
    "Ɛ": "E",
    "Ɔ": "O",
    "Ɲ": "Ny",
    "Ŋ": "Ng",
}
_MOORE: dict[str, str] = {
    "ɛ": "è",
    "ɩ": "i",
    "ʋ": "u",
    "ɔ": "ò",
    "Ɛ": "E",
    "Ɩ": "I",
    "Ʋ": "U",
    "Ɔ": "O",
}
SPELLINGS: dict[str, dict[str, str]] = {
    "fr": _COMMON,
    "bm": {**_COMMON, **_MANDING},
    "dyu": {**_COMMON, **_MANDING},
    "mos": {**_COMMON, **_MOORE},
}


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC_SET or ch in _EXTENSION_SET for ch in text)


def non_gsm7(text: str) -> list[str]:
    return sorted({ch for ch in text if ch not in _BASIC_SET and ch not in _EXTENSION_SET})


@lru_cache(maxsize=8192)
def septets(text: str) -> int:
    """Length in GSM-7 septets: extension characters (€, [, ] …) take two."""
    return sum(2 if ch in _EXTENSION_SET else 1 for ch in text)


@lru_cache(maxsize=8192)
def to_gsm7(text: str, language: str) -> str:
    """Spell `text` with GSM-7 characters only, the way readers of `language` expect."""
    mapping = SPELLINGS.get(language, _COMMON)
    if language == "mos":
        text = moore_nasals(text)
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _BASIC_SET or ch in _EXTENSION_SET:
            out.append(ch)
        elif ch in mapping:
            out.append(mapping[ch])
        else:
            out.append(_strip_marks(ch, mapping))
    return "".join(out)


# A Mooré nasal vowel: a vowel with a tilde (ã = a + U+0303 once decomposed; ɛ̃ ɩ̃ ʋ̃ exist only so),
# other marks around the tilde allowed, then the plain vowels of the same long vowel or diphthong:
# the tilde sits on the first one only (ãa, ẽe, õe).
_VOWELS = "aeiouɛɩʋɔAEIOUƐƖƲƆ"
_NASAL = re.compile(
    f"[{_VOWELS}][\u0300-\u036f]*?\u0303[\u0300-\u036f]*(?:[{_VOWELS}](?![\u0300-\u036f]*\u0303)[\u0300-\u036f]*)*"
)


def moore_nasals(text: str) -> str:
    """wã -> wan, sõore -> soonre, pʋgẽ -> pʋgen; no n where n or m follows already (tẽnga ->
    tenga, yãmb -> yamb). Other marks are left for the letter-by-letter spelling to drop."""
    decomposed = unicodedata.normalize("NFD", text)

    def spell(match: re.Match[str]) -> str:
        group = match.group().replace("\u0303", "")
        after = decomposed[match.end() : match.end() + 1]
        if after in ("n", "m", "N", "M"):
            return group
        before = decomposed[match.start() - 1 : match.start()]
        letters = [c for c in (before + group + after) if c.isalpha()]
        capital = len(letters) > 1 and all(c.isupper() for c in letters)
        return group + ("N" if capital else "n")

    return unicodedata.normalize("NFC", _NASAL.sub(spell, decomposed))


def _strip_marks(ch: str, mapping: dict[str, str]) -> str:
    # Tone marks and tildes (precomposed or combining, e.g. ɛ̃ = ɛ + U+0303) are dropped; the
    # base letter is then spelled as usual. Anything else (emoji, other scripts) becomes '?'.
    if unicodedata.category(ch) == "Mn":
        return ""
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
    if base and base != ch:
        return "".join(c if (c in _BASIC_SET or c in _EXTENSION_SET) else mapping.get(c, "?") for c in base)
    if ch.isspace():
        return " "
    return "?"


@dataclass(frozen=True)
class Encoding:
    name: str  # "GSM-7" or "UCS-2"
    units: int  # septets or UTF-16 code units
    segments: int


def sms_encoding(text: str) -> Encoding:
    """Encoding and segment count of one SMS body: 160/153 GSM-7, 70/67 UCS-2."""
    if is_gsm7(text):
        units = septets(text)
        return Encoding("GSM-7", units, 1 if units <= 160 else -(-units // 153))
    units = len(text.encode("utf-16-le")) // 2
    return Encoding("UCS-2", units, 1 if units <= 70 else -(-units // 67))
