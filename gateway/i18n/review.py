"""Where each translation stands: reviewed, draft (translated, awaiting native review), missing."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.i18n.catalogs import Catalogs, ProjectCatalog, by_key
from gateway.i18n.flags import is_translated, is_unreviewed
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
    last_review: str = ""

    @property
    def reviewed(self) -> int:
        return self.translated - self.draft


def review_status(catalogs: Catalogs) -> list[LanguageStatus]:
    source = catalogs.catalogs.get(SOURCE_LANGUAGE)
    source_ids = set(by_key(source)) if source is not None else set()
    out = []
    for code in CODES:
        catalog = catalogs.catalogs.get(code)
        if catalog is None:
            out.append(LanguageStatus(code, len(source_ids), 0, 0, sorted(source_ids)))
            continue
        messages = by_key(catalog)
        translated = [i for i in source_ids if i in messages and is_translated(messages[i])]
        draft = [i for i in translated if is_unreviewed(messages[i])]
        headers = catalog if isinstance(catalog, ProjectCatalog) else None
        out.append(
            LanguageStatus(
                code=code,
                total=len(source_ids),
                translated=len(translated),
                draft=len(draft),
                missing=sorted(source_ids - set(translated)),
                extra=sorted(set(messages) - source_ids),
                review_status=headers.header("X-Review-Status") if headers else "",
                last_review=headers.header("PO-Revision-Date") if headers else "",
            )
        )
    return out
