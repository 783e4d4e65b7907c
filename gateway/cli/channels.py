"""`gateway channels check`: can each configured channel authenticate and reach its provider?"""

from __future__ import annotations

import asyncio
import json
import sys

import typer

from gateway.cli.common import database, err, run, settings_or_exit
from gateway.config import SettingsError

app = typer.Typer(no_args_is_help=True, help="The channels outgoing SMS go through.")
# A provider that answers nothing within this long has failed its check.
CHECK_TIMEOUT_S = 30.0


@app.command("check")
def check(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per channel on standard output."),
    timeout: float = typer.Option(CHECK_TIMEOUT_S, min=1, help="Seconds each channel has to answer."),
) -> None:
    """Check every configured channel (GATEWAY_CHANNELS, or GATEWAY_PROVIDER): a token from Orange,
    an authenticated call to Africa's Talking, each phone's health for SMS Gateway for Android.
    Exits 1 when one fails, 2 on bad settings. The result is kept for /readyz."""
    from gateway.channels.providers import build_channels
    from gateway.outbox.provider import ChannelCheck, check_provider

    settings = settings_or_exit(secret=False)
    try:
        channels = build_channels(settings)
    except SettingsError as exc:
        err(str(exc))
        raise typer.Exit(2) from None

    async def _one(name: str) -> ChannelCheck | None:
        try:
            return await asyncio.wait_for(check_provider(channels.providers[name]), timeout)
        except TimeoutError:
            return ChannelCheck(False, f"no answer within {timeout:g} s")

    async def _check() -> dict[str, ChannelCheck | None]:
        try:
            found = await asyncio.gather(*(_one(name) for name in channels.names))
        finally:
            for provider in channels.providers.values():
                close = getattr(provider, "aclose", None)
                if close is not None:
                    await close()
        results = dict(zip(channels.names, found, strict=True))
        await _keep(results)
        return results

    async def _keep(results: dict[str, ChannelCheck | None]) -> None:
        from datetime import timedelta

        from gateway.db.base import utcnow
        from gateway.outbox.health import write_state

        # A channel found down is left alone for GATEWAY_CHANNEL_DOWN_S, as the dispatcher does,
        # then tried again: never down for good on one check's word.
        until = utcnow() + timedelta(seconds=settings.channel_down_s)
        try:
            async with database(settings) as sessions, sessions() as db, db.begin():
                for name, result in results.items():
                    if result is not None:
                        state, down_until = ("ok", None) if result.ok else ("down", until)
                        await write_state(db, name, state, f"check: {result.detail}", down_until)
        except Exception as exc:  # the check itself still stands; /readyz just won't show it
            err(f"warning: could not keep the results for /readyz ({type(exc).__name__})")

    results = run(_check)
    failed = 0
    for name, result in results.items():
        state = "not checkable" if result is None else ("ok" if result.ok else "FAILED")
        detail = "this channel has no check" if result is None else result.detail
        failed += result is not None and not result.ok
        if as_json:
            record = {"channel": name, "state": state, "ok": None if result is None else result.ok}
            sys.stdout.write(json.dumps({**record, "detail": detail}) + "\n")
        err(f"{name:16} {state:14} {detail}")
    if failed:
        err(f"{failed} of {len(results)} channel(s) failed")
        raise typer.Exit(1)
