from __future__ import annotations

import logging
import secrets
import sys

import typer

from gateway.cli.common import ensure_schema, err, run, settings_or_exit

PROMPT = "> "


def simulate(
    phone: str = typer.Option("+22370000001", help="The caller's number (a test number, never a real one)."),
    language: str = typer.Option(
        None, help="Answer the language screen with this language first (fr, bm, dyu, mos)."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Also show the logs (one line a hop) and each screen's length."
    ),
) -> None:
    """Walk the USSD menus in the terminal, screen by screen, as a handset shows them.

    Type an answer and Enter; an empty line sends an empty answer, Ctrl-D hangs up. The hops go
    through the same service as the Africa's Talking callback, against the configured database.
    Only the screens and your answers are shown, and warnings or errors if any: --verbose for more.
    """
    from gateway.i18n.languages import CODES
    from gateway.security.phone import InvalidPhoneNumber, to_e164
    from gateway.ussd.service import HopContext, UssdRequest
    from gateway.wiring import Gateway

    settings = settings_or_exit()
    _log_level(verbose)
    if language is not None and language not in CODES:
        err(f"unknown language {language!r} (known: {', '.join(CODES)})")
        raise typer.Exit(2)
    try:
        e164 = to_e164(phone, settings.default_region)
    except InvalidPhoneNumber as exc:
        err(f"bad --phone: {exc}")
        raise typer.Exit(2) from None
    if settings.is_sqlite:
        ensure_schema(settings)

    async def session() -> None:
        gateway = Gateway.build(settings)
        session_id = "SIM_" + secrets.token_hex(16)
        inputs: list[str] = []
        pending = [str(CODES.index(language) + 1)] if language else []
        try:
            while True:
                request = UssdRequest("simulator", session_id, e164, "*".join(inputs), settings.ussd_code)
                async with gateway.sessionmaker() as db, db.begin():
                    reply = await gateway.ussd.handle(db, request, HopContext())
                print(("END " if reply.end else "CON ") + reply.text)
                if verbose:
                    err(f"[{len(reply.text)} chars]")
                if reply.end:
                    return
                answer = pending.pop(0) if pending else None
                answer = _ask(answer)
                if answer is None:
                    err("(hung up)")
                    return
                inputs.append(answer)
        finally:
            await gateway.close()

    run(session)


def _log_level(verbose: bool) -> None:
    """Quiet, the logs show warnings and errors only; verbose, the configured level and the
    engine's line for each hop."""
    if verbose:
        logging.getLogger("gateway").setLevel(logging.DEBUG)
    else:
        logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))


def _ask(given: str | None) -> str | None:
    """The caller's next answer, after a prompt: `given` (from --language), or a line typed. Typed on
    a terminal, it shows as typed; read from a pipe, it is written out so the session reads as a
    transcript."""
    if given is not None:
        print(PROMPT + given)
        return given
    interactive = sys.stdin.isatty()
    if interactive:
        print(PROMPT, end="", flush=True)
    line = sys.stdin.readline()
    if not line:
        if interactive:
            print()
        return None
    answer = line.rstrip("\n")
    if not interactive:
        print(PROMPT + answer)
    return answer
