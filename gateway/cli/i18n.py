from __future__ import annotations

import typer

from gateway.cli.common import err, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Translations and their review.")


@app.command("status")
def status(
    show_missing: bool = typer.Option(False, "--missing", help="List the untranslated message ids."),
) -> None:
    """Per language: how much is translated, how much is still a draft awaiting native review."""
    from gateway.i18n.catalogs import Catalogs
    from gateway.i18n.review import review_status

    settings = settings_or_exit(secret=False)
    rows = review_status(Catalogs(settings.locales_dir))
    print(f"{'lang':<5} {'translated':>10} {'draft':>6} {'not draft':>9} {'missing':>7}  catalog status")
    for row in rows:
        reviewed = row.translated - row.draft
        print(
            f"{row.code:<5} {row.translated:>5}/{row.total:<4} {row.draft:>6} {reviewed:>9} {len(row.missing):>7}  "
            f"{row.review_status or '-'}"
        )
        if show_missing and row.missing:
            print("      missing: " + ", ".join(row.missing))
        if row.extra:
            err(f"{row.code}: ids not in the French source (stale?): {', '.join(row.extra)}")
    err(
        "draft = translated but not yet checked by a native speaker; run `gateway flows check` for screen rules"
    )


@app.command("extract")
def extract() -> None:
    """Write locales/messages.pot: every message id the flows and the code use, with the French text."""
    from babel.messages.pofile import write_po

    from gateway.i18n.catalogs import read_catalog
    from gateway.i18n.messages import build_template
    from gateway.message_ids import CODE_MESSAGES
    from gateway.ussd.flows import load_flows
    from gateway.ussd.runtime import ACTIONS, SOURCES

    settings = settings_or_exit(secret=False)
    flows = load_flows(settings.flows_dir, ACTIONS, SOURCES)
    source = read_catalog(settings.locales_dir / "fr" / "LC_MESSAGES" / "messages.po")
    template = build_template(flows.message_ids() | set(CODE_MESSAGES), source)
    target = settings.locales_dir / "messages.pot"
    with target.open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False, sort_output=False)
    err(f"wrote {target} ({len(template)} messages)")
