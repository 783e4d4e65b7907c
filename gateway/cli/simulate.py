from __future__ import annotations

import secrets
import sys

import typer

from gateway.cli.common import ensure_schema, err, run, settings_or_exit


def simulate(
    phone: str = typer.Option("+22370000001", help="The caller's number (a test number, never a real one)."),
    language: str = typer.Option(
        None, help="Answer the language screen with this language first (fr, bm, dyu, mos)."
    ),
) -> None:
    """Walk the USSD menus in the terminal, screen by screen, as a handset shows them.

    Type an answer and Enter; an empty line sends an empty answer, Ctrl-D hangs up. The hops go
    through the same service as the Africa's Talking callback, against the configured database.
    """
    from gateway.i18n.languages import CODES
    from gateway.security.phone import InvalidPhoneNumber, to_e164
    from gateway.ussd.service import HopContext, UssdRequest
    from gateway.wiring import Gateway

    settings = settings_or_exit()
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
                print(f"[{len(reply.text)} chars]", file=sys.stderr)
                if reply.end:
                    return
                if pending:
                    answer = pending.pop(0)
                    print(f"> {answer}")
                else:
                    line = sys.stdin.readline()
                    if not line:
                        err("(hung up)")
                        return
                    answer = line.rstrip("\n")
                inputs.append(answer)
        finally:
            await gateway.close()

    run(session)
