"""A review sheet as a printable PDF (A4), for a reviewer with no laptop: screens beside the French,
and under each the messages with boxes to tick and room to write.

Drawn with fpdf2 (pure Python). The PDF embeds a TrueType font that has every letter of the
sheet (ɛ ɔ ɲ ŋ ɩ ʋ, tilde vowels): DejaVu or Noto from the system, or one given with --font.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from gateway.i18n.display import Display
from gateway.i18n.sheet import Entry, Item, Sheet

# (text font, monospaced font for the phone screens), first found and complete wins.
FONT_CANDIDATES: tuple[tuple[str, str], ...] = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSansMono.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSansMono.ttf"),
    (
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf",
    ),
    ("/Library/Fonts/DejaVuSans.ttf", "/Library/Fonts/DejaVuSansMono.ttf"),
    ("C:/Windows/Fonts/DejaVuSans.ttf", "C:/Windows/Fonts/DejaVuSansMono.ttf"),
)
_COLUMNS = (30, 38, 40, 15, 31, 32)  # mm: id, French, text, length, terms, verdict (A4 less margins)
_HEADINGS = ("message id", "French", "text", "length / limit", "glossary terms", "verdict")
_VERDICT = "\u2610 approve\n\u2610 correction\n\u2610 comment\n\n\n"


class FontError(ValueError):
    """No usable font: the message says which characters are missing and how to give one."""


def sheet_pdf(sheet: Sheet, fonts: tuple[Path, Path] | None = None) -> bytes:
    text_font, mono_font = fonts or find_fonts(_characters(sheet))
    for path in (text_font, mono_font):
        _require(path, _characters(sheet))
    pdf = FPDF(format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_font("text", "", str(text_font))
    pdf.add_font("mono", "", str(mono_font))
    pdf.set_title(f"Review sheet {sheet.language}")
    pdf.add_page()
    pdf.set_font("text", size=15)
    pdf.multi_cell(
        0, 8, f"Review sheet: {sheet.name} ({sheet.language})", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font("text", size=9)
    counts = ", ".join(f"{n} {state}" for state, n in sheet.counts.items())
    pdf.multi_cell(
        0,
        4.5,
        f"Made {sheet.generated}. Messages: {counts}. Screens as the phone shows them, beside the French. "
        "Tick a verdict for each message; write a correction or a comment beside it. Length and limit "
        "count characters of the text as written. Reviewer's name: ____________________  Date: __________",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    for item in sheet.items:
        _item(pdf, item)
    if sheet.others:
        _heading(pdf, "Messages not on any screen or SMS above")
        _entries(pdf, sheet.others)
    return bytes(pdf.output())


def find_fonts(needed: Iterable[str] = ()) -> tuple[Path, Path]:
    wanted = set(needed)
    for text_font, mono_font in FONT_CANDIDATES:
        paths = (Path(text_font), Path(mono_font))
        if all(p.is_file() and not _missing(p, wanted) for p in paths):
            return paths
    raise FontError(
        "no font with every letter of the sheet was found (looked for DejaVu Sans and Noto Sans); "
        "install one (Debian: apt-get install fonts-dejavu-core) or give --font FILE.ttf"
    )


def _require(path: Path, needed: set[str]) -> None:
    if not path.is_file():
        raise FontError(f"font {path} does not exist")
    missing = _missing(path, needed)
    if missing:
        shown = " ".join(f"{c} (U+{ord(c):04X})" for c in sorted(missing)[:12])
        raise FontError(f"font {path} lacks characters the sheet uses: {shown}")


def _missing(path: Path, needed: set[str]) -> set[str]:
    try:
        # The file is opened here so that it is closed even when fontTools cannot parse it.
        with path.open("rb") as handle:
            cmap = TTFont(handle).getBestCmap() or {}
    except Exception as exc:  # fontTools raises many kinds on a file that is not a font
        raise FontError(f"font {path} cannot be read: {exc}") from None
    return {c for c in needed if ord(c) not in cmap}


def _characters(sheet: Sheet) -> set[str]:
    texts: list[str] = [sheet.name, _VERDICT]
    for item in sheet.items:
        texts.append(item.display.text)
        if item.french is not None:
            texts.append(item.french.text)
        texts.extend(_entry_texts(item.entries))
    texts.extend(_entry_texts(sheet.others))
    return {c for text in texts for c in text if not c.isspace()}


def _entry_texts(entries: Sequence[Entry]) -> list[str]:
    return [t for e in entries for t in (e.text, e.shown, e.french, e.msgid, *e.terms, *e.notes)]


def _heading(pdf: FPDF, title: str) -> None:
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("text", size=11)
    pdf.multi_cell(0, 6, title, border="T", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("text", size=8)


def _item(pdf: FPDF, item: Item) -> None:
    display = item.display
    kind = "USSD" if display.kind == "ussd" else "SMS"
    _heading(pdf, f"{kind} {display.where}" + (f" ({display.variant})" if display.variant else ""))
    top = pdf.get_y()
    if top > pdf.h - 70:
        pdf.add_page()
        top = pdf.get_y()
    bottom = _phone(pdf, display, pdf.l_margin, top, "as shown")
    if item.french is not None:
        bottom = max(bottom, _phone(pdf, item.french, pdf.l_margin + 95, top, "French"))
    pdf.set_xy(pdf.l_margin, bottom + 2)
    if item.entries:
        _entries(pdf, item.entries)


def _phone(pdf: FPDF, display: Display, x: float, y: float, label: str) -> float:
    pdf.set_xy(x, y)
    pdf.set_font("mono", size=8.5)
    pdf.multi_cell(88, 4, display.text, border=1, padding=1, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_x(x)
    pdf.set_font("text", size=7.5)
    over = "  OVER THE LIMIT" if display.units > display.budget else ""
    pdf.cell(
        88, 4, f"{label}: {display.units}/{display.budget} characters{over}", new_x=XPos.LEFT, new_y=YPos.NEXT
    )
    return pdf.get_y()


def _entries(pdf: FPDF, entries: Sequence[Entry]) -> None:
    pdf.set_font("text", size=7.5)
    # Headings in the regular face: the PDF embeds one font file per family, no bold.
    headings = FontFace(emphasis="", fill_color=(225, 225, 225))
    with pdf.table(col_widths=_COLUMNS, text_align="LEFT", line_height=3.6, headings_style=headings) as table:
        table.row(_HEADINGS)
        for entry in entries:
            text = entry.text or f"(missing: shows {entry.fallback or 'the id'}) {entry.shown}"
            if entry.notes:
                text += "\n" + "\n".join(entry.notes)
            limit = "-" if entry.limit is None else str(entry.limit)
            over = " OVER" if entry.over else ""
            table.row(
                (
                    f"{entry.msgid}\n{entry.state}",
                    entry.french,
                    text,
                    f"{entry.length} / {limit}{over}",
                    "\n".join(entry.terms) or "-",
                    _VERDICT,
                )
            )
    pdf.ln(1)
