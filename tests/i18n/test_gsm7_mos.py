"""Mooré on GSM-7 phones: a nasal vowel is written with an n after it (wã -> wan), as the French
spelling of Mooré names does (Tiendrébéogo, Samandin, Paspanga); ɩ -> i, ʋ -> u, ɛ -> è. No two
words of the Mooré catalog may come out the same once spelled so (locales/GLOSSARY.md, "Mooré on
GSM-7 phones")."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

import pytest
from babel.messages.pofile import read_po

from gateway.config import ROOT
from gateway.i18n.catalogs import po_path
from gateway.i18n.gsm7 import is_gsm7, to_gsm7

MOS = po_path(ROOT / "locales", "mos")


@pytest.mark.parametrize(
    ("standard", "spelled"),
    [
        # The review's case: "the committee received it", not "the committee came ...".
        ("komite wã deega", "komite wan deega"),
        ("Y na n wa bɩ?", "Y na n wa bi?"),
        # Word-final nasals: the definite suffix, pʋgẽ "in", kõ "give", yẽ "him".
        ("kibayã", "kibayan"),
        ("pʋgẽ", "pugen"),
        ("n kõ", "n kon"),
        ("yẽ", "yen"),
        # Long nasal vowels and diphthongs: the tilde is on the first vowel only, the n after all.
        ("sõore", "soonre"),
        ("fãa", "faan"),
        ("bõe", "boen"),
        ("zĩigã", "ziingan"),
        # An n or m already follows: only the tilde goes, as in Burkina or Sanmatenga.
        ("Burkĩna", "Burkina"),
        ("tẽnga", "tenga"),
        ("yãmb", "yamb"),
        ("Sõngre", "Songre"),
        # Nasal vowels that exist only with a combining tilde.
        ("ɛ̃ ɩ̃ ʋ̃", "èn in un"),
        # The other letters.
        ("bɩ sʋka koɛɛga", "bi suka koèèga"),
        # Capitals: an N in a word written in capitals, an n otherwise.
        ("YÃGDEM", "YANGDEM"),
        ("SÕNGE", "SONGE"),
        ("Ãa", "Aan"),
        # Decomposed input (ã as a + U+0303) is the same text.
        (unicodedata.normalize("NFD", "wã"), "wan"),
        # A tone mark next to the tilde is dropped; the nasal is kept.
        ("wã\u0301", "wan"),
    ],
)
def test_moore_spelling(standard: str, spelled: str) -> None:
    assert to_gsm7(standard, "mos") == spelled
    assert is_gsm7(spelled)


def test_other_languages_keep_their_own_spelling() -> None:
    # The n is Mooré's convention only: a French or Bambara tilde is simply dropped.
    assert to_gsm7("São Tomé", "fr") == "Sao Tomé"
    assert to_gsm7("wã", "bm") == "wa"


def _catalog_words() -> set[str]:
    with MOS.open("rb") as handle:
        catalog = read_po(handle)
    words: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, list | tuple) else (message.string,)
        for text in strings:
            text = re.sub(r"\{[^}]*\}", " ", text or "")
            for word in re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text)):
                words.add(word.lower())
    return words


def test_no_two_catalog_words_look_the_same_on_a_phone() -> None:
    """A meaning carried only by a tilde (wã "the" / wa "come") must not vanish on the way out.
    The ɩ/i and ʋ/u merges are the convention's known cost: none is in the catalog today."""
    words = _catalog_words()
    assert {"wã", "wa"} <= words  # the pair that made the review ask: keep the test meaningful
    spelled: dict[str, set[str]] = defaultdict(set)
    for word in words:
        spelled[to_gsm7(word, "mos")].add(word)
    assert {form: sorted(group) for form, group in spelled.items() if len(group) > 1} == {}
