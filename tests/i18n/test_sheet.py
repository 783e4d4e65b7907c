"""The review sheet's content and its HTML and PDF forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.i18n.catalogs import Catalogs
from gateway.i18n.display import Display, Part
from gateway.i18n.glossary import read_glossary
from gateway.i18n.sheet import build_sheet
from gateway.i18n.sheet_html import sheet_html
from gateway.i18n.sheet_pdf import FontError, find_fonts, sheet_pdf
from tests.i18n.po_files import write_po


@pytest.fixture
def catalogs(tmp_path: Path) -> Catalogs:
    write_po(
        tmp_path,
        "fr",
        'msgid "prompt"\nmsgstr "Quel problème ?"\n\nmsgid "back"\nmsgstr "Retour"\n\n'
        'msgid "other"\nmsgstr "Autre"\n\nmsgid "evil"\nmsgstr "<b>x</b>"\n',
    )
    write_po(
        tmp_path,
        "mos",
        '# TODO(review): check the word\n#, fuzzy\nmsgid "prompt"\nmsgstr "Zu-loeegã yaa bõe?"\n\n'
        'msgid "back"\nmsgstr "Lebge"\n\nmsgid "evil"\nmsgstr "<script>alert(1)</script>"\n',
    )
    (tmp_path / "GLOSSARY.md").write_text(
        "## Mooré (mos)\n\n| concept | chosen | confidence |\n|---|---|---|\n| problem | zu-loeego | sourced |\n",
        encoding="utf-8",
    )
    return Catalogs(tmp_path)


def _screen(language: str, text: str, units: int, *parts: tuple[str, str]) -> Display:
    return Display(
        "ussd", "report:topic", "", text, units, 160, tuple(Part(m, t, 160 - units) for m, t in parts)
    )


def _sheet(catalogs: Catalogs):  # type: ignore[no-untyped-def]
    mos = _screen(
        "mos", "Zu-loeega yaa boe?\n0 Lebge", 25, ("prompt", "Zu-loeegã yaa bõe?"), ("back", "Lebge")
    )
    fr = _screen("fr", "Quel probleme ?\n0 Retour", 24, ("prompt", "Quel problème ?"), ("back", "Retour"))
    glossary = read_glossary(catalogs.locales_dir / "GLOSSARY.md")
    return build_sheet(
        "mos", [mos], [fr], catalogs, glossary, {"prompt": 40, "back": 3}, "2026-12-03 09:00 UTC"
    )


def test_each_screen_beside_the_french_with_the_messages_it_shows(catalogs: Catalogs) -> None:
    sheet = _sheet(catalogs)
    (item,) = sheet.items
    assert item.french is not None
    assert item.french.text.startswith("Quel")
    prompt, back = item.entries
    assert (prompt.state, prompt.length, prompt.limit, prompt.terms) == (
        "draft",
        18,
        40,
        ("zu-loeego = problem [sourced]",),
    )
    assert prompt.notes == ("TODO(review): check the word",)
    assert back.state == "reviewed"
    assert back.over
    other = {e.msgid: e for e in sheet.others}
    assert other["other"].state == "missing"
    assert other["other"].fallback == "fr"
    assert other["other"].shown == "Autre"
    assert sheet.counts == {"reviewed": 2, "draft": 1, "missing": 1}


def test_html_is_self_contained_and_escapes_catalog_text(catalogs: Catalogs) -> None:
    html = sheet_html(_sheet(catalogs))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "http://" not in html
    assert "https://" not in html
    assert "<link" not in html
    assert "<script" not in html
    assert "Zu-loeegã yaa bõe?" in html
    assert '<span class="over">5 / 3</span>' in html


def test_pdf_embeds_a_font_with_every_letter(catalogs: Catalogs) -> None:
    sheet = _sheet(catalogs)
    try:
        fonts = find_fonts("ɛɔɲŋɩʋãẽĩõũ")
    except FontError:
        pytest.skip("no DejaVu or Noto font on this machine (apt-get install fonts-dejavu-core)")
    pdf = sheet_pdf(sheet, fonts)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 5000


def test_a_font_without_the_letters_or_not_a_font_is_refused(catalogs: Catalogs, tmp_path: Path) -> None:
    sheet = _sheet(catalogs)
    not_a_font = tmp_path / "x.ttf"
    not_a_font.write_bytes(b"not a font")
    with pytest.raises(FontError, match="cannot be read"):
        sheet_pdf(sheet, (not_a_font, not_a_font))
    with pytest.raises(FontError, match="does not exist"):
        sheet_pdf(sheet, (tmp_path / "none.ttf", tmp_path / "none.ttf"))
    try:
        text_font, mono_font = find_fonts()
    except FontError:
        pytest.skip("no DejaVu or Noto font on this machine")
    cjk = _screen("mos", "漢字", 2, ("back", "漢字"))
    with pytest.raises(FontError, match="lacks characters the sheet uses: 字"):
        sheet_pdf(build_sheet("mos", [cjk], [], catalogs, {}, {}, "now"), (text_font, mono_font))
