"""Whose words each language reads: its own, else along its fallback chain (dyu -> bm -> fr,
mos -> fr), French only when the organiser allowed it."""

from __future__ import annotations

import pytest

from gateway.broadcasts.texts import pick


@pytest.mark.parametrize(
    ("texts", "language", "french", "expected"),
    [
        ({"dyu": "Dancɛ", "bm": "Lajɛ"}, "dyu", False, ("Dancɛ", "dyu")),
        ({"bm": "Lajɛ", "fr": "Forum"}, "dyu", False, ("Lajɛ", "bm")),
        ({"fr": "Forum"}, "dyu", False, None),
        ({"fr": "Forum"}, "dyu", True, ("Forum", "fr")),
        ({"bm": "Lajɛ"}, "mos", True, None),  # Mooré readers are not sent Bambara
        ({"fr": "Forum"}, "mos", True, ("Forum", "fr")),
        ({"fr": "Forum"}, "fr", False, ("Forum", "fr")),  # French is French readers' own
        ({"fr": "", "bm": "Lajɛ"}, "fr", True, None),
    ],
)
def test_pick(texts: dict[str, str], language: str, french: bool, expected: tuple[str, str] | None) -> None:
    assert pick(texts, language, french) == expected
