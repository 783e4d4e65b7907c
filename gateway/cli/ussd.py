from __future__ import annotations

import json

import typer

from gateway.cli.common import database, run, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="USSD sessions.")


@app.command("stats")
def stats(as_json: bool = typer.Option(False, "--json", help="JSON lines for programs.")) -> None:
    """Sessions per language and last screen, with our outcome and the provider's end status."""
    from gateway.ussd.stats import drop_off

    settings = settings_or_exit(secret=False)

    async def _stats() -> None:
        async with database(settings) as sessions, sessions() as session:
            rows = await drop_off(session)
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
