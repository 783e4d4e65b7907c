from __future__ import annotations

import typer

from gateway.cli.common import err, run, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Committee summaries.")


@app.command("preview")
def preview(
    committee: str = typer.Option(..., help="The committee's name."),
    language: str = typer.Option("fr", help="fr, bm, dyu or mos."),
) -> None:
    """Print the summary that would go out now (nothing is sent or recorded)."""
    from gateway.committees.service import CommitteeError, committee_by_name
    from gateway.db.base import utcnow
    from gateway.i18n.gsm7 import sms_encoding
    from gateway.i18n.languages import CODES
    from gateway.outbox.service import sms_text
    from gateway.wiring import Gateway

    if language not in CODES:
        err(f"unknown language {language!r} (known: {', '.join(CODES)})")
        raise typer.Exit(2)
    settings = settings_or_exit()

    async def _preview() -> None:
        gateway = Gateway.build(settings)
        try:
            async with gateway.sessionmaker() as db:
                found = await committee_by_name(db, committee)
                texts = await gateway.scheduler.summarise(
                    db, found, utcnow(), send=False, languages=[language]
                )
                await db.rollback()
        except CommitteeError as exc:
            err(str(exc))
            raise typer.Exit(2) from None
        finally:
            await gateway.close()
        text = texts[language]
        sent = sms_text(text, language, settings.sms_gsm7)
        print(sent.body)
        encoding = sms_encoding(sent.body)
        err(f"{encoding.name}, {encoding.units} characters, {sent.segments} SMS segment(s)")

    run(_preview)


@app.command("run")
def run_due() -> None:
    """Send the summaries that are due now (the scheduler in `serve`/`worker` does this by itself)."""
    from gateway.wiring import Gateway

    settings = settings_or_exit()

    async def _run() -> None:
        gateway = Gateway.build(settings)
        try:
            done = await gateway.scheduler.run_due()
        finally:
            await gateway.close()
        err(f"{done} committee summar{'y' if done == 1 else 'ies'} queued")

    run(_run)
