"""Text from a console form or address, read as a value."""

from __future__ import annotations


def whole_number(text: str, digits: int = 9) -> int | None:
    """A database id, an offset or a page mark as typed; None for anything else. ASCII digits only:
    "²" is a digit to str.isdigit() but not to int(), which would fail the request."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None
