from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from gateway.cli.common import err, run, settings_or_exit

if TYPE_CHECKING:
    from gateway.committees.scheduler import DigestNow
    from gateway.config import Settings
    from gateway.wiring import Gateway

app = typer.Typer(no_args_is_help=True, help="Committee summaries.")


@app.command("preview")
def preview(
    committee: str = typer.Option(..., help="The committee's name (case and accents aside)."),
    language: str = typer.Option("fr", help="fr, bm, dyu or mos."),
) -> None:
    """Print the summary that would go out now (nothing is sent or recorded)."""
    from gateway.committees.service import CommitteeError, committee_by_name
    from gateway.db.base import utcnow
    from gateway.i18n.languages import CODES
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
        _show(settings, language, texts[language])

    run(_preview)


@app.command("run")
def run_due(
    committee: str = typer.Option(
        None, help="Send this committee's summary now, due or not (name with case and accents aside)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would be sent, in each member's language; send nothing."
    ),
) -> None:
    """Send the summaries that are due now (the scheduler in `serve`/`worker` does this by itself), or
    one committee's at once: it covers the time since its last summary and is recorded like a
    scheduled one, so the next scheduled summary starts where it ends."""
    from gateway.committees.service import CommitteeError
    from gateway.wiring import Gateway

    settings = settings_or_exit()

    async def _run() -> None:
        gateway = Gateway.build(settings)
        try:
            if committee is not None:
                await _one(gateway, committee, dry_run)
            elif dry_run:
                await _due_preview(gateway)
            else:
                done = await gateway.scheduler.run_due()
                err(f"{done} committee summar{'y' if done == 1 else 'ies'} queued")
        except CommitteeError as exc:
            err(str(exc))
            raise typer.Exit(2) from None
        finally:
            await gateway.close()

    run(_run)


async def _one(gateway: Gateway, name: str, dry_run: bool) -> None:
    from gateway.committees.service import committee_by_name

    async with gateway.sessionmaker() as db:
        committee_id = (await committee_by_name(db, name)).id
    result = await gateway.scheduler.summary_now(committee_id, send=not dry_run)
    if dry_run:
        _show_all(gateway.settings, result)
        return
    if not result.members:
        err(f"{result.committee!r}: no member takes summaries; nothing sent, nothing recorded")
        raise typer.Exit(1)
    if not result.texts:
        err(f"{result.committee!r}: a summary up to {result.end:%Y-%m-%d %H:%M} UTC exists already")
        raise typer.Exit(1)
    next_at = f"; next scheduled {result.next_at:%Y-%m-%d %H:%M} UTC" if result.next_at else ""
    err(f"summary of {result.committee!r} for {_period(result)} queued to {_members(result)}{next_at}")


async def _due_preview(gateway: Gateway) -> None:
    from sqlalchemy import select

    from gateway.committees.models import Committee
    from gateway.db.base import utcnow

    async with gateway.sessionmaker() as db:
        due = (
            await db.execute(
                select(Committee.id).where(Committee.next_digest_at <= utcnow()).order_by(Committee.name)
            )
        ).scalars()
        ids = list(due)
    for committee_id in ids:
        _show_all(gateway.settings, await gateway.scheduler.summary_now(committee_id, send=False))
    err(f"{len(ids)} committee summar{'y' if len(ids) == 1 else 'ies'} due; nothing sent (--dry-run)")


def _show_all(settings: Settings, result: DigestNow) -> None:
    err(f"== {result.committee} ({_period(result)}), to {_members(result)}; not sent (--dry-run)")
    for language, text in result.texts.items():
        # With no member yet, the French text still shows what the summary holds.
        if result.members.get(language) or not result.members:
            _show(settings, language, text)


def _show(settings: Settings, language: str, text: str) -> None:
    from gateway.i18n.gsm7 import sms_encoding
    from gateway.outbox.service import sms_text

    sent = sms_text(text, language, settings.sms_gsm7)
    print(sent.body)
    encoding = sms_encoding(sent.body)
    err(f"[{language}] {encoding.name}, {encoding.units} characters, {sent.segments} SMS segment(s)")


def _period(result: DigestNow) -> str:
    return f"{result.start:%Y-%m-%d %H:%M} to {result.end:%Y-%m-%d %H:%M} UTC"


def _members(result: DigestNow) -> str:
    total = sum(result.members.values())
    if not total:
        return "no member"
    languages = ", ".join(f"{count} {language}" for language, count in sorted(result.members.items()))
    return f"{total} member(s) ({languages})"
