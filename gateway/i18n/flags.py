"""What a catalog entry's `#,` flags say: its review state, its length limit, its placeholders.

Unreviewed = the standard gettext flag `fuzzy` (Weblate shows it as "Needs editing"); reviewed =
translated and not fuzzy. Until issue 14 the catalogs marked unreviewed entries with a flag of
their own, `draft`; it still counts as unreviewed so the gateway behaves the same before and
after `gateway i18n update` converts it (docs/translation.md).
"""

from __future__ import annotations

from babel.messages.catalog import Message

FUZZY = "fuzzy"
# The flag the catalogs used for drafts before issue 14 (converted by `gateway i18n update`):
# still read as a draft, so a copy from before then (a reviewer's) is not taken as reviewed.
LEGACY_DRAFT = "draft"
LEGACY_FLAGS = frozenset({LEGACY_DRAFT})
BRACE_FORMAT = "python-brace-format"
MAX_LENGTH = "max-length"


def is_translated(message: Message) -> bool:
    if isinstance(message.string, tuple | list):
        return bool(message.string) and all(bool(s) for s in message.string)
    return bool(message.string)


def is_unreviewed(message: Message) -> bool:
    return message.fuzzy or bool(LEGACY_FLAGS & message.flags)


def is_reviewed(message: Message) -> bool:
    return is_translated(message) and not is_unreviewed(message)


def mark_unreviewed(message: Message) -> None:
    message.flags -= LEGACY_FLAGS
    message.flags.add(FUZZY)


def mark_reviewed(message: Message) -> None:
    message.flags -= LEGACY_FLAGS | {FUZZY}


def max_length(message: Message) -> int | None:
    for flag in message.flags:
        name, _, value = flag.partition(":")
        if name == MAX_LENGTH and value.isdigit():
            return int(value)
    return None


def declare(message: Message, *, limit: int | None, brace_format: bool) -> None:
    """Replace the flags a platform checks: `max-length:N` and the placeholder format."""
    message.flags = {f for f in message.flags if f.partition(":")[0] not in (MAX_LENGTH, BRACE_FORMAT)}
    if limit is not None:
        message.flags.add(f"{MAX_LENGTH}:{max(limit, 0)}")
    if brace_format:
        message.flags.add(BRACE_FORMAT)
