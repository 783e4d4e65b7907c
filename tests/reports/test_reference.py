from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.reports.reference import ALPHABET, new_reference, parse_reference


def test_new_reference_shape() -> None:
    ref = new_reference()
    assert ref.startswith("R-")
    assert len(ref) == 6
    assert all(ch in ALPHABET for ch in ref[2:])


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("R-7K3F", "R-7K3F"),
        ("r7k3f", "R-7K3F"),
        (" R 7K3F ", "R-7K3F"),
        ("R-7K3O", None),
        ("hello", None),
        ("7K3F", None),
    ],
)
def test_parse(text: str, parsed: str | None) -> None:
    assert parse_reference(text) == parsed


@given(st.text(max_size=20))
def test_parse_never_crashes(text: str) -> None:
    result = parse_reference(text)
    assert result is None or result.startswith("R-")
