from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from gateway.cli.common import database, run, settings_or_exit

if TYPE_CHECKING:
    from gateway.ussd.stats import ScreenDropOff, ScreensToReport

app = typer.Typer(no_args_is_help=True, help="USSD sessions.")


@app.command("stats")
def stats(
    as_json: bool = typer.Option(False, "--json", help="JSON lines for programs."),
    screens: bool = typer.Option(
        False,
        "--screens",
        help="Per screen, the callers who left there unfinished; per language, the screens a report took.",
    ),
) -> None:
    """Sessions per language and last screen, with our outcome and the provider's end status."""
    from gateway.ussd.stats import drop_off, screen_drop_off, screens_to_report

    settings = settings_or_exit(secret=False)

    async def _stats() -> None:
        async with database(settings) as sessions, sessions() as session:
            if screens:
                left, reports = await screen_drop_off(session), await screens_to_report(session)
            else:
                rows = await drop_off(session)
        if screens:
            _print_screens(left, reports, as_json)
            return
        if not as_json:
            print(f"{'lang':<5} {'last screen':<24} {'outcome':<10} {'AT status':<11} sessions")
        for row in rows:
            if as_json:
                print(json.dumps(row.__dict__))
            else:
                print(
                    f"{row.language:<5} {row.screen:<24} {row.outcome:<10} {row.end_status:<11} {row.sessions}"
                )

    run(_stats)


def _print_screens(left: list[ScreenDropOff], reports: list[ScreensToReport], as_json: bool) -> None:
    if as_json:
        for row in left:
            print(json.dumps({"kind": "left", **row.__dict__}))
        for report in reports:
            print(json.dumps({"kind": "reports", **report.__dict__}))
        return
    print(f"{'lang':<5} {'left on screen':<24} {'callers':>7} {'of the language':>15}")
    for row in left:
        print(f"{row.language:<5} {row.screen:<24} {row.left:>7} {row.share:>14.1%}")
    print(f"\n{'lang':<5} {'sessions':>8} {'reports':>7} {'screens to reference (median / most)':>38}")
    for report in reports:
        spread = (
            "-" if report.median_screens is None else f"{report.median_screens:g} / {report.most_screens}"
        )
        print(f"{report.language:<5} {report.sessions:>8} {report.reported:>7} {spread:>38}")
