from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.i18n.gsm7 import is_gsm7, septets, sms_encoding, to_gsm7


@pytest.mark.parametrize(
    ("language", "standard", "spelled"),
    [
        ("bm", "Ɲɛnajɛ ka ɲɔgɔn dɛmɛ", "Nyènajè ka nyògòn dèmè"),
        ("dyu", "ŋaniya", "nganiya"),
        ("mos", "Sõnge, kãngã, ɩ ʋ ɛ", "Songe, kangan, i u è"),  # nasal: n after it (test_gsm7_mos)
        ("mos", "ɛ̃ ɩ̃", "èn in"),  # nasal vowels with a combining tilde only
        ("fr", "Sûreté «Être» ça’ va", 'Sureté "Etre" ca\' va'),
        ("fr", "12\u202f500\u00a0F", "12 500 F"),
        ("bm", "Ɛ Ɔ", "E O"),  # È and Ò are not GSM-7 capitals
        ("fr", "😀 signal", "? signal"),
    ],
)
def test_spelling(language: str, standard: str, spelled: str) -> None:
    assert to_gsm7(standard, language) == spelled
    assert is_gsm7(spelled)


@given(text=st.text(max_size=200), language=st.sampled_from(["fr", "bm", "dyu", "mos", "xx"]))
def test_spelling_always_gives_gsm7(text: str, language: str) -> None:
    assert is_gsm7(to_gsm7(text, language))


def test_septets_count_extension_characters_twice() -> None:
    assert septets("a[b]€") == 8


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        ("ɛ" * 70, "UCS-2", 1),
        ("ɛ" * 71, "UCS-2", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
    ],
)
def test_sms_segments(text: str, encoding: str, segments: int) -> None:
    result = sms_encoding(text)
    assert (result.name, result.segments) == (encoding, segments)
