"""Text from outside (callbacks, the API) cleaned of control characters before it goes anywhere.

PostgreSQL refuses NUL in text ("invalid byte sequence"), and other control characters have no
business in a report or a name; newlines and tabs stay."""

from __future__ import annotations

import re

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(text: str) -> str:
    return _CONTROLS.sub("", text)
