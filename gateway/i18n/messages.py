"""messages.pot from the message ids in use: the catalog translators start from."""

from __future__ import annotations

from babel.messages.catalog import Catalog

from gateway.i18n.flags import BRACE_FORMAT
from gateway.i18n.text import placeholders


def build_template(ids: set[str], source: Catalog) -> Catalog:
    """messages.pot: every id in use, with the French text as a comment for translators.

    A message whose French has placeholders is flagged python-brace-format, so a translation
    platform checks that translations keep them (Babel only guesses that from a msgid, and ours
    are symbolic)."""
    template = Catalog(project="border-feedback-gateway", fuzzy=False)
    ids = set(ids)
    for message in source:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if not key or key not in ids:
            continue
        forms = list(message.string) if isinstance(message.string, tuple | list) else [message.string or ""]
        french = " | ".join(forms)
        added = template.add(
            message.id,
            string=("", "") if isinstance(message.id, tuple) else "",
            auto_comments=[*message.auto_comments, f"fr: {french}"],
        )
        if any(placeholders(form) for form in forms):
            added.flags.add(BRACE_FORMAT)
        ids.discard(key)
    for missing in sorted(ids):
        template.add(missing, auto_comments=["fr: (missing from the French catalog)"])
    return template
