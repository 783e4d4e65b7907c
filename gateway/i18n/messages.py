"""messages.pot from the message ids in use: the catalog translators start from."""

from __future__ import annotations

from babel.messages.catalog import Catalog


def build_template(ids: set[str], source: Catalog) -> Catalog:
    """messages.pot: every id in use, with the French text as a comment for translators."""
    template = Catalog(project="border-feedback-gateway", fuzzy=False)
    ids = set(ids)
    for message in source:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if not key or key not in ids:
            continue
        french = message.string if isinstance(message.string, str) else " | ".join(message.string or ())
        template.add(
            message.id,
            string=("", "") if isinstance(message.id, tuple) else "",
            auto_comments=[*message.auto_comments, f"fr: {french}"],
        )
        ids.discard(key)
    for missing in sorted(ids):
        template.add(missing, auto_comments=["fr: (missing from the French catalog)"])
    return template
