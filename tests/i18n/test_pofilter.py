"""translate-toolkit's pofilter over every catalog: placeholders, escapes, whitespace, plurals.

Our catalogs are monolingual (symbolic ids, the French in fr.po), and pofilter compares a
msgid with its msgstr; so each catalog is first written as a bilingual file, French as msgid,
the id as msgctxt. Unreviewed (fuzzy) entries are checked too: callers see them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from gateway.config import ROOT
from gateway.i18n.catalogs import by_key, po_path, read_catalog
from gateway.i18n.flags import is_translated
from gateway.i18n.languages import CODES, SOURCE_LANGUAGE
from tests.i18n.po_files import write_po as write_test_po

# Accelerator, capitalisation, punctuation and length-ratio checks are off: they are about
# European UI strings, and flagged every Mooré sentence. Length is `gateway flows check`'s.
CHECKS = (
    "pythonbraceformat",
    "printf",
    "escapes",
    "newlines",
    "tabs",
    "startwhitespace",
    "endwhitespace",
    "doublespacing",
    "nplurals",
    "xmltags",
    "urls",
)


def bilingual(locales: Path, code: str, target: Path) -> int:
    french = by_key(read_catalog(po_path(locales, SOURCE_LANGUAGE)))
    catalog = read_catalog(po_path(locales, code))
    out = Catalog(fuzzy=False)
    out.mime_headers = [("Plural-Forms", f"nplurals={catalog.num_plurals}; plural={catalog.plural_expr};")]
    for key, message in by_key(catalog).items():
        source = french.get(key)
        if source is None or not is_translated(message):
            continue
        msgid = tuple(source.string) if isinstance(source.id, tuple) else source.string
        out.add(msgid, message.string, flags=message.flags, context=key)
    with target.open("wb") as handle:
        write_po(handle, out, width=0)
    return len(out)


def pofilter(source: Path, output: Path) -> list[str]:
    """Each failure as 'id: check message'; pofilter writes only the units that fail."""
    command = [sys.executable, "-m", "translate.filters.pofilter", "--progress=none"]
    command += [f"--test={check}" for check in CHECKS] + ["-i", str(source), "-o", str(output)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    if not output.exists():
        return []
    with output.open("rb") as handle:
        failed = read_po(handle)
    return [
        f"{m.context}: {c.removeprefix('(pofilter) ')}"
        for m in failed
        if m.id
        for c in m.user_comments
        if "pofilter" in c
    ]


@pytest.mark.parametrize("code", [c for c in CODES if c != SOURCE_LANGUAGE])
def test_every_catalog_passes_pofilter(code: str, tmp_path: Path) -> None:
    assert bilingual(ROOT / "locales", code, tmp_path / "in.po") > 0
    failures = pofilter(tmp_path / "in.po", tmp_path / "out.po")
    assert not failures, f"{code} catalog:\n" + "\n".join(failures)


def test_pofilter_catches_a_lost_placeholder_and_a_stray_newline(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    write_test_po(locales, "fr", 'msgid "a"\nmsgstr "Référence {reference}."\n\nmsgid "b"\nmsgstr "Merci."\n')
    write_test_po(
        locales, "bm", '#, fuzzy\nmsgid "a"\nmsgstr "Nimɔrɔ {ref}."\n\nmsgid "b"\nmsgstr "I ni ce.\\n"\n'
    )
    bilingual(locales, "bm", tmp_path / "in.po")
    failures = pofilter(tmp_path / "in.po", tmp_path / "out.po")
    assert any(f.startswith("a: pythonbraceformat") for f in failures), failures
    assert any(f.startswith("b: ") and "newline" in f for f in failures), failures
