"""Guessing the language of a text from a number we do not know yet.

Deliberately simple and explainable: letters only one orthography uses, then short function
words. Manding text from a Burkina number is taken for Dioula, from a Mali number for Bambara.
When nothing points anywhere, French (the language most written texts here are in).
"""

from __future__ import annotations

import re

from gateway.sms.keywords import fold

_MOORE_LETTERS = set("ʋɩƲƖ") | set("ãẽĩõũ")
_MANDING_LETTERS = set("ɛɔɲŋƐƆƝŊ")
_WORDS = {
    "fr": {
        "le",
        "la",
        "les",
        "des",
        "de",
        "du",
        "est",
        "sont",
        "et",
        "a",
        "au",
        "aux",
        "dans",
        "il",
        "ils",
        "nous",
        "on",
        "pas",
        "une",
        "un",
        "sur",
        "avec",
        "pour",
        "qui",
        "que",
        "ont",
        "village",
        "frontiere",
    },
    "manding": {
        "ye",
        "bɛ",
        "be",
        "ka",
        "ni",
        "kɔnɔ",
        "kono",
        "tɛ",
        "te",
        "u",
        "an",
        "ne",
        "min",
        "dɔ",
        "do",
        "bi",
        "kelen",
        "mɔgɔ",
        "mogo",
        "dugu",
        "sira",
        "kɛlɛ",
        "kele",
        "wari",
        "tun",
        "kɔni",
    },
    "mos": {
        "sẽn",
        "sen",
        "yaa",
        "tɩ",
        "ti",
        "pa",
        "b",
        "ned",
        "neda",
        "tẽnga",
        "tenga",
        "wʋsgo",
        "wusgo",
        "rãmba",
        "ramba",
        "yel",
        "zabr",
        "la",
        "ne",
        "me",
    },
}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str, phone: str) -> str:
    letters = set(text)
    if letters & _MOORE_LETTERS:
        return "mos"
    manding_country = "dyu" if phone.startswith("+226") else "bm"
    if letters & _MANDING_LETTERS:
        return manding_country
    tokens = [fold(t) for t in _TOKEN.findall(text)]
    scores = {name: sum(1 for t in tokens if t in words) for name, words in _WORDS.items()}
    best = max(scores, key=lambda name: scores[name])
    if scores[best] == 0 or scores[best] == scores["fr"]:
        return "fr"
    return manding_country if best == "manding" else best
