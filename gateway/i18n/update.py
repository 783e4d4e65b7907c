"""`gateway i18n update`: one catalog brought in line with the template (messages.pot).

Like msgmerge, without its guesses (ids are symbolic: a near id is another message): new ids are
added untranslated; translations, translator comments and review state are kept; ids the
template no longer has become obsolete `#~` entries (or are dropped); the template's comments
replace the extracted ones. On top of that it converts the legacy `draft` flag to `fuzzy`,
marks a translation fuzzy again when its French source changed, and writes the flags a
translation platform checks (`max-length:N`, `python-brace-format`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from babel.messages.catalog import Catalog, Message

from gateway.i18n.catalogs import by_key, iter_messages, key_of
from gateway.i18n.flags import FUZZY, LEGACY_FLAGS, declare, is_translated, mark_unreviewed
from gateway.i18n.languages import SOURCE_LANGUAGE

FRENCH_PREFIX = "fr: "
# The sentence the drafted catalogs' header comment used for the home-made flag.
_LEGACY_HEADER_HINT = 'flag "draft"'
STANDARD_HEADER_LINE = (
    'Unreviewed entries carry the standard flag "fuzzy" and are shown to callers all the same; '
    "a review removes it (docs/translation.md)."
)


@dataclass
class UpdateReport:
    language: str
    added: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    source_changed: list[str] = field(default_factory=list)


def update_catalog(
    catalog: Catalog,
    template: Catalog,
    *,
    language: str,
    limits: Mapping[str, int],
    brace_format: set[str],
    keep_obsolete: bool = True,
) -> UpdateReport:
    report = UpdateReport(language)
    old = by_key(catalog)
    obsolete = {key_of(m): m for m in catalog.obsolete.values()}
    merged: list[Message] = []
    for source in iter_messages(template):
        key = key_of(source)
        previous = old.pop(key, None)
        if previous is None and key in obsolete:
            previous = obsolete.pop(key)
            report.revived.append(key)
        message = _merge(source, previous, catalog.num_plurals, language, report)
        if key in report.revived and is_translated(message) and language != SOURCE_LANGUAGE:
            # Kept aside while the id was unused: it may no longer fit; a reviewer says.
            mark_unreviewed(message)
        declare(message, limit=limits.get(key), brace_format=key in brace_format)
        merged.append(message)
    for message in list(iter_messages(catalog)):
        catalog.delete(message.id, message.context)
    catalog.obsolete.clear()
    for message in merged:
        catalog[message.id] = message
    if keep_obsolete:
        for key, message in {**obsolete, **old}.items():
            catalog.obsolete[key] = message
    report.obsolete = sorted(old)
    catalog.header_comment = _header_comment(catalog.header_comment)
    return report


def _merge(
    source: Message, previous: Message | None, plurals: int, language: str, report: UpdateReport
) -> Message:
    key = key_of(source)
    comments = [
        c for c in source.auto_comments if language != SOURCE_LANGUAGE or not c.startswith(FRENCH_PREFIX)
    ]
    if previous is None:
        report.added.append(key)
        empty: str | tuple[str, ...] = ("",) * plurals if isinstance(source.id, tuple) else ""
        return Message(source.id, string=empty, auto_comments=comments)
    own = [c for c in previous.auto_comments if not c.startswith(FRENCH_PREFIX) and c not in comments]
    message = Message(
        source.id,
        string=_shape(previous.string, source.id, plurals),
        flags=set(previous.flags),
        auto_comments=[*comments, *own],
        user_comments=list(previous.user_comments),
        context=previous.context,
    )
    if LEGACY_FLAGS & message.flags:
        report.converted.append(key)
    if not is_translated(message):
        # Untranslated is a state of its own: no review flag on an empty entry.
        message.flags -= LEGACY_FLAGS | {FUZZY}
        return message
    if language != SOURCE_LANGUAGE and _french(previous) not in (None, _french(source)):
        report.source_changed.append(key)
        mark_unreviewed(message)
    elif LEGACY_FLAGS & message.flags or message.string != _as_read(previous.string):
        mark_unreviewed(message)
    return message


def _shape(string: object, msgid: object, plurals: int) -> str | tuple[str, ...]:
    """The translation fitted to the template's singular/plural form and the plural count."""
    if isinstance(msgid, tuple):
        forms = [str(s or "") for s in string] if isinstance(string, tuple | list) else [str(string or "")]
        return tuple((forms + [""] * plurals)[:plurals])
    if isinstance(string, tuple | list):
        return str(string[0] or "") if string else ""
    return str(string or "")


def _as_read(string: object) -> object:
    return tuple(string) if isinstance(string, list) else string


def _french(message: Message) -> str | None:
    return next((c[len(FRENCH_PREFIX) :] for c in message.auto_comments if c.startswith(FRENCH_PREFIX)), None)


def _header_comment(comment: str) -> str:
    lines = comment.splitlines()
    out = []
    for line in lines:
        if _LEGACY_HEADER_HINT in line:
            line = "# " + STANDARD_HEADER_LINE
        out.append(line)
    return "\n".join(out)
