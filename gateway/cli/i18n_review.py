"""`gateway i18n sheet` and `gateway i18n review-import`: the native reviewer's round trip."""

from __future__ import annotations

import copy
import csv
import io
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gateway.cli.common import err, run, settings_or_exit

if TYPE_CHECKING:
    from gateway.i18n.sheet import Sheet


def sheet(
    language: str = typer.Argument(..., help="bm, dyu or mos (fr gives the source alone)."),
    html: Path | None = typer.Option(None, "--html", help="Write the sheet as one self-contained HTML page."),
    pdf: Path | None = typer.Option(None, "--pdf", help="Write the sheet as a printable A4 PDF."),
    verdicts: Path | None = typer.Option(
        None, "--csv", help="Write a verdict file to fill in (one row per message) for review-import."
    ),
    font: Path | None = typer.Option(None, "--font", help="TrueType font for the PDF's text."),
    mono_font: Path | None = typer.Option(
        None, "--mono-font", help="Monospaced TrueType font for the screens."
    ),
) -> None:
    """A review sheet: every USSD screen and SMS as the phone shows it, beside the French."""
    from gateway.cli.i18n_displays import FRAGMENTS, ReviewSources
    from gateway.i18n.display import derive_limits
    from gateway.i18n.glossary import read_glossary
    from gateway.i18n.languages import CODES
    from gateway.i18n.sheet import build_sheet
    from gateway.i18n.sheet_html import sheet_html
    from gateway.i18n.sheet_pdf import FontError, sheet_pdf

    if language not in CODES:
        err(f"unknown language {language!r} (known: {', '.join(CODES)})")
        raise typer.Exit(2)
    if not (html or pdf or verdicts):
        err("nothing to write: give --html FILE, --pdf FILE and/or --csv FILE")
        raise typer.Exit(2)
    if (font is None) != (mono_font is None):
        err("--font and --mono-font go together")
        raise typer.Exit(2)
    settings = settings_or_exit(secret=False)
    sources = ReviewSources(settings)
    displays = run(lambda: sources.displays(language))
    french = run(lambda: sources.displays("fr"))
    made = build_sheet(
        language,
        displays,
        french,
        sources.catalogs,
        read_glossary(settings.locales_dir / "GLOSSARY.md"),
        derive_limits(displays, FRAGMENTS),
        datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    if html:
        html.write_text(sheet_html(made), encoding="utf-8")
        err(f"wrote {html}")
    if pdf:
        # fontTools reports each font subset it makes at INFO: nothing an organiser needs.
        logging.getLogger("fontTools").setLevel(logging.WARNING)
        try:
            pdf.write_bytes(sheet_pdf(made, (font, mono_font) if font and mono_font else None))
        except FontError as exc:
            err(f"pdf: {exc}")
            raise typer.Exit(1) from None
        err(f"wrote {pdf}")
    if verdicts:
        verdicts.write_text(_verdict_template(made), encoding="utf-8")
        err(f"wrote {verdicts}: fill 'verdict' (approve, correction, comment), 'text', 'comment'")
    items = sum(1 for _ in made.items)
    err(f"{language}: {items} screens and SMS, {', '.join(f'{n} {s}' for s, n in made.counts.items())}")


def review_import(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="The filled verdict file (.csv, .yaml)."
    ),
    reviewer: str = typer.Option(..., "--reviewer", help="Who reviewed: recorded in the catalogs."),
    language: str | None = typer.Option(None, "--language", help="For a file with no language column."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, write nothing."),
) -> None:
    """Bring a native reviewer's verdicts into the catalogs: approve, correction, comment.

    Nothing is written unless every row is valid: known id, same placeholders as the French,
    letters a phone can show, and every screen or SMS it is on still within its limit."""
    from gateway.cli.i18n_displays import ReviewSources
    from gateway.i18n.catalogs import Catalogs, po_path, write_catalog
    from gateway.i18n.verdicts import VerdictError, apply_verdicts, check_verdicts, read_verdicts

    settings = settings_or_exit(secret=False)
    try:
        verdicts = read_verdicts(file, language)
    except VerdictError as exc:
        _refuse(exc.problems)
    if not verdicts:
        err(f"{file.name}: no row has a verdict; nothing to do")
        return
    current = Catalogs(settings.locales_dir)
    problems = check_verdicts(verdicts, current.catalogs, reviewer)
    if problems:
        _refuse(problems)
    reviewer = reviewer.strip()
    changed = copy.deepcopy(current.catalogs)
    applied = apply_verdicts(verdicts, changed, reviewer, datetime.now(UTC), file.name)
    corrected: dict[str, set[str]] = {v.language: set() for v in verdicts}
    for v in verdicts:
        if v.verdict == "correction":
            corrected[v.language].add(v.msgid)
    after = ReviewSources(settings, Catalogs(settings.locales_dir, changed))
    too_long = [
        f"{d.kind} {d.where}{f' ({d.variant})' if d.variant else ''} [{code}]: {d.units} characters with "
        f"the correction of {', '.join(sorted(ids & {p.msgid for p in d.parts}))}, limit {d.budget} "
        f"(shorten by {d.units - d.budget})"
        for code, ids in corrected.items()
        if ids
        for d in run(lambda code=code: after.displays(code))  # type: ignore[misc]
        if d.units > d.budget and ids & {p.msgid for p in d.parts}
    ]
    if too_long:
        _refuse(too_long)
    for code, done in applied.items():
        summary = (
            f"{len(done.approved)} approved, {len(done.corrected)} corrected, {len(done.commented)} commented"
        )
        if dry_run:
            err(f"{code}: would record {summary} (dry run: nothing written)")
            continue
        write_catalog(po_path(settings.locales_dir, code), changed[code])
        err(f"{code}: recorded {summary}, reviewed by {reviewer}")


def _refuse(problems: list[str]) -> None:
    for problem in problems:
        err(problem)
    err(f"refused: {len(problems)} problem(s); no catalog was changed")
    raise typer.Exit(1)


def _verdict_template(made: Sheet) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["language", "id", "verdict", "text", "comment", "state", "french", "current"])
    entries = [e for item in made.items for e in item.entries] + list(made.others)
    for entry in entries:
        writer.writerow([made.language, entry.msgid, "", "", "", entry.state, entry.french, entry.text])
    return buffer.getvalue()
