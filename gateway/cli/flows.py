from __future__ import annotations

import typer

from gateway.cli.common import err, run, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Menu definitions under flows/.")


@app.command("check")
def check(
    language: list[str] = typer.Option(None, "--language", "-l", help="Only these languages."),
) -> None:
    """Render every screen of every flow in every language; fail on length, charset or missing text."""
    from gateway.areas.csvfile import read_rows
    from gateway.areas.directory import AreaDirectory
    from gateway.i18n.languages import CODES
    from gateway.ussd.check import check_flows
    from gateway.ussd.flows import FlowError
    from gateway.wiring import build_engine

    settings = settings_or_exit(secret=False)
    try:
        engine = build_engine(settings)
    except FlowError as exc:
        err(f"flows: {exc}")
        raise typer.Exit(1) from None
    languages = tuple(language) if language else CODES
    unknown = [code for code in languages if code not in CODES]
    if unknown:
        err(f"unknown language(s): {', '.join(unknown)} (known: {', '.join(CODES)})")
        raise typer.Exit(2)
    directory = AreaDirectory.from_rows(read_rows(settings.areas_csv))
    problems = run(lambda: check_flows(engine, engine.catalogs, directory, languages))
    screens = sum(1 for _ in engine.flows.all_screens())
    for problem in problems:
        print(problem)
    errors = [p for p in problems if not p.warning]
    summary = f"{screens} screens x {len(languages)} languages, limit {settings.ussd_screen_limit}"
    if errors:
        err(f"flows check: {len(errors)} error(s), {len(problems) - len(errors)} warning(s) ({summary})")
        raise typer.Exit(1)
    warned = (
        f"; {len(problems)} warning(s): translation gaps shown in a fallback language" if problems else ""
    )
    err(f"flows check: OK ({summary}){warned}")
