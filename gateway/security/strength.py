"""Is a secret key strong enough to protect phone numbers? Whoever has the database and can guess
the key can decrypt every number, so a key an attacker would try early is refused at start.

The rules are checks for what people type, not an entropy measure: random keys (what
`secrets.token_urlsafe` or `secrets.token_hex` give) pass them all, with a margin."""

from __future__ import annotations

import re

MIN_LENGTH = 32
MIN_DISTINCT = 8
# A run is this many characters or more, each the same as the one before or next to it (aaaa, abcd, 4321).
RUN_LENGTH = 4
# What is left of a key once placeholder words and separators are taken out must be at least this long.
MIN_OWN_CHARACTERS = 16
PLACEHOLDERS = (
    "changeme",
    "change",
    "replace",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "example",
    "sample",
    "placeholder",
    "default",
    "dummy",
    "testing",
    "test",
    "key",
    "your",
    "here",
    "insert",
    "todo",
    "fixme",
    "admin",
    "letmein",
    "qwerty",
    "azerty",
    "please",
    "gateway",
    "super",
    "my",
)
_PLACEHOLDER_WORDS = re.compile("|".join(sorted(PLACEHOLDERS, key=len, reverse=True)))
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")

RULE = (
    f"a key needs {MIN_LENGTH}+ characters, {MIN_DISTINCT}+ different ones, no repeated pattern, "
    "no long runs (aaaa, abcd, 4321), no placeholder words; "
    'make one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
)


def key_weakness(key: str) -> str | None:
    """Why `key` is too weak, in a few words, or None when it is fine. Never says what the key is."""
    if len(key) < MIN_LENGTH:
        return f"shorter than {MIN_LENGTH} characters"
    if len(set(key)) < MIN_DISTINCT:
        return f"fewer than {MIN_DISTINCT} different characters"
    if _period(key) <= len(key) // 2:
        return "one short piece repeated"
    if 2 * _characters_in_runs(key) >= len(key):
        return "mostly runs of repeated or consecutive characters"
    if len(_PLACEHOLDER_WORDS.sub("", _NOT_ALPHANUMERIC.sub("", key.lower()))) < MIN_OWN_CHARACTERS:
        return "made of placeholder words (changeme, secret, password, example…)"
    return None


def _period(text: str) -> int:
    """The smallest p with text[i] == text[i + p] everywhere (len(text) when there is none)."""
    # Knuth–Morris–Pratt failure function: the longest proper border gives the period.
    border = [0] * len(text)
    k = 0
    for i in range(1, len(text)):
        while k and text[i] != text[k]:
            k = border[k - 1]
        if text[i] == text[k]:
            k += 1
        border[i] = k
    return len(text) - border[-1] if text else 0


def _characters_in_runs(text: str) -> int:
    """How many characters are in runs of RUN_LENGTH or more taking one step of -1, 0 or +1."""
    in_run = [False] * len(text)
    start, step = 0, 2  # 2: no step yet
    for i in range(1, len(text) + 1):
        here = ord(text[i]) - ord(text[i - 1]) if i < len(text) else 2
        if abs(here) <= 1 and step in (2, here):
            step = here
            continue
        if i - start >= RUN_LENGTH:
            in_run[start:i] = [True] * (i - start)
        # A run's last character may begin the next one (abcdcba is abcd then dcba).
        start, step = (i - 1, here) if abs(here) <= 1 else (i, 2)
    return sum(in_run)
