"""The review sheets in docs/review (what native reviewers are sent) show the catalogs and flows
as they are: made again with `make review-sheets` whenever either changes."""

from __future__ import annotations

import re

import pytest

from gateway.cli.i18n_displays import FRAGMENTS, ReviewSources
from gateway.config import ROOT, load_settings
from gateway.i18n.display import derive_limits
from gateway.i18n.glossary import read_glossary
from gateway.i18n.sheet import build_sheet
from gateway.i18n.sheet_html import sheet_html

MADE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


@pytest.mark.parametrize("language", ["bm", "dyu", "mos"])
async def test_the_committed_review_sheet_is_current(language: str) -> None:
    committed = (ROOT / "docs" / "review" / f"{language}.html").read_text(encoding="utf-8")
    made = MADE.search(committed)
    assert made is not None
    settings = load_settings(_env_file=None)
    sources = ReviewSources(settings)
    displays = await sources.displays(language)
    sheet = build_sheet(
        language,
        displays,
        await sources.displays("fr"),
        sources.catalogs,
        read_glossary(settings.locales_dir / "GLOSSARY.md"),
        derive_limits(displays, FRAGMENTS),
        made.group(0),
    )
    assert sheet_html(sheet) == committed, "stale: run `make review-sheets` and commit docs/review"
