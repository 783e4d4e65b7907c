"""Where each translation stands: translated, draft (awaiting native review), missing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from gateway.i18n.catalogs import DRAFT_FLAG, Catalogs, is_translated, iter_messages, po_path
from gateway.i18n.languages import CODES, SOURCE_LANGUAGE


@dataclass
class LanguageStatus:
    code: str
    total: int
    translated: int
    draft: int
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    review_status: str = ""


def review_status(catalogs: Catalogs) -> list[LanguageStatus]:
    source = catalogs.catalogs.get(SOURCE_LANGUAGE)
    source_ids = (
        {m.id if isinstance(m.id, str) else m.id[0] for m in iter_messages(source)} if source else set()
    )
    out = []
    for code in CODES:
        catalog = catalogs.catalogs.get(code)
        if catalog is None:
            out.append(LanguageStatus(code, len(source_ids), 0, 0, sorted(source_ids)))
            continue
        messages = {m.id if isinstance(m.id, str) else m.id[0]: m for m in iter_messages(catalog)}
        translated = [
            i for i in source_ids if i in messages and is_translated(messages[i]) and not messages[i].fuzzy
        ]
        draft = [i for i in translated if DRAFT_FLAG in messages[i].flags]
        status = header_value(catalogs.locales_dir, code, "X-Review-Status")
        out.append(
            LanguageStatus(
                code=code,
                total=len(source_ids),
                translated=len(translated),
                draft=len(draft),
                missing=sorted(source_ids - set(translated)),
                extra=sorted(set(messages) - source_ids),
                review_status=status,
            )
        )
    return out


def header_value(locales_dir: Path, code: str, name: str) -> str:
    """A header Babel does not keep (it drops X- headers it does not know)."""
    match = re.search(
        rf'^"{re.escape(name)}:\s*(.*?)\\n"$', po_path(locales_dir, code).read_text("utf-8"), re.M
    )
    return match.group(1) if match else ""
