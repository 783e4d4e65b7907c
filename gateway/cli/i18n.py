from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gateway.cli import i18n_review
from gateway.cli.common import err, run, settings_or_exit

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

    from gateway.config import Settings

app = typer.Typer(no_args_is_help=True, help="Translations and their review.")
app.command("sheet")(i18n_review.sheet)
app.command("review-import")(i18n_review.review_import)


@app.command("status")
def status(
    show_missing: bool = typer.Option(False, "--missing", help="List the untranslated message ids."),
) -> None:
    """Per language: translated, of which reviewed by a native speaker and still draft; missing."""
    from gateway.i18n.catalogs import Catalogs
    from gateway.i18n.review import review_status

    settings = settings_or_exit(secret=False)
    rows = review_status(Catalogs(settings.locales_dir))
    print(
        f"{'lang':<5} {'translated':>10} {'reviewed':>8} {'draft':>6} {'missing':>7}  "
        f"{'last review':<17} catalog status"
    )
    for row in rows:
        print(
            f"{row.code:<5} {row.translated:>5}/{row.total:<4} {row.reviewed:>8} {row.draft:>6} "
            f"{len(row.missing):>7}  {row.last_review or '-':<17} {row.review_status or '-'}"
        )
        if show_missing and row.missing:
            print("      missing: " + ", ".join(row.missing))
        if row.extra:
            err(f"{row.code}: ids not in the French source (stale?): {', '.join(row.extra)}")
    err(
        "reviewed = checked by a native speaker; draft = translated, shown to callers, not yet checked "
        "(flag fuzzy, or the legacy draft); missing = the fallback language is shown. "
        "Review sheets: `gateway i18n sheet LANG`; screen rules: `gateway flows check`"
    )


@app.command("extract")
def extract() -> None:
    """Write locales/messages.pot: every message id the flows and the code use, with the French text."""
    settings = settings_or_exit(secret=False)
    template = _template(settings)
    target = settings.locales_dir / "messages.pot"
    _write_template(target, template)
    err(f"wrote {target} ({len(template)} messages)")


@app.command("update")
def update(
    drop_obsolete: bool = typer.Option(
        False, "--drop-obsolete", help="Delete ids the template no longer has instead of keeping them as #~."
    ),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if anything would change."),
) -> None:
    """Bring messages.pot and every catalog in line with the message ids in use.

    New ids are added untranslated; translations, comments and review state are kept; the legacy
    `#, draft` flag becomes the standard `#, fuzzy`; a translation whose French changed becomes
    fuzzy again; `max-length:N` and `python-brace-format` are written for translation platforms.
    """
    from gateway.cli.i18n_displays import ReviewSources
    from gateway.i18n.catalogs import po_bytes, po_path, read_catalog, write_catalog
    from gateway.i18n.languages import CODES
    from gateway.i18n.update import update_catalog

    settings = settings_or_exit(secret=False)
    sources = ReviewSources(settings)
    template = _template(settings)
    brace = sources.brace_format()
    stale: list[str] = []
    target = settings.locales_dir / "messages.pot"
    if _template_text(template) != (_strip_dates(target.read_text("utf-8")) if target.exists() else ""):
        stale.append(str(target))
        if not check:
            _write_template(target, template)
    for code in CODES:
        path = po_path(settings.locales_dir, code)
        if not path.exists():
            err(f"{code}: no catalog at {path} (copy the French one to start it, README 'Adding a language')")
            continue
        catalog = read_catalog(path)
        limits = run(lambda code=code: sources.limits(code))  # type: ignore[misc]
        report = update_catalog(
            catalog,
            template,
            language=code,
            limits=limits,
            brace_format=brace,
            keep_obsolete=not drop_obsolete,
        )
        changed = po_bytes(catalog) != path.read_bytes()
        if changed:
            stale.append(str(path))
            if not check:
                write_catalog(path, catalog)
        err(
            f"{code}: {len(report.added)} added, {len(report.obsolete)} obsolete"
            f"{' (dropped)' if drop_obsolete else ' (kept as #~)'}, {len(report.converted)} draft -> fuzzy, "
            f"{len(report.source_changed)} fuzzy again (French changed), {len(report.revived)} revived"
            f"{'' if changed else '; unchanged'}"
        )
        for key in report.added:
            err(f"  + {key}")
        for key in report.obsolete:
            err(f"  - {key}")
    if check and stale:
        err("not up to date (run `gateway i18n update`): " + ", ".join(stale))
        raise typer.Exit(1)


def _template(settings: Settings) -> Catalog:
    from gateway.i18n.catalogs import po_path, read_catalog
    from gateway.i18n.messages import build_template
    from gateway.message_ids import CODE_MESSAGES
    from gateway.ussd.flows import load_flows
    from gateway.ussd.runtime import ACTIONS, SOURCES

    flows = load_flows(settings.flows_dir, ACTIONS, SOURCES)
    source = read_catalog(po_path(settings.locales_dir, "fr"))
    return build_template(flows.message_ids() | set(CODE_MESSAGES), source)


def _template_text(template: Catalog) -> str:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, template, width=100, omit_header=False, sort_output=False)
    return _strip_dates(buffer.getvalue().decode("utf-8"))


def _write_template(target: Path, template: Catalog) -> None:
    from babel.messages.pofile import write_po

    with target.open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False, sort_output=False)


def _strip_dates(text: str) -> str:
    # The template's creation date and generator change with every run, not with its content.
    return "\n".join(
        line
        for line in text.splitlines()
        if not line.startswith(('"POT-Creation-Date:', '"Generated-By:', "# Copyright"))
    )
