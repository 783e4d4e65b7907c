"""Report references like R-7K3F: short, and easy to read out over a bad phone line."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L or U: the letters people mishear or misread.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "R-"
_PATTERN = re.compile(r"^R-?([0-9A-Z]{4,8})$")
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_reference(length: int = 4) -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(length))


def parse_reference(text: str) -> str | None:
    """'r7k3f', 'R-7K3F', 'R 7K3F' -> 'R-7K3F'; None when it cannot be a reference."""
    # The R is required: four letters alone are too often a word.
    match = _PATTERN.match(text.strip().upper().replace(" ", ""))
    if not match:
        return None
    body = match.group(1).translate(_LOOKALIKES)
    if any(ch not in ALPHABET for ch in body):
        return None
    return PREFIX + body
