"""The `gateway` command. Output for programs goes to stdout, messages for people to stderr."""

from __future__ import annotations

import typer

from gateway.cli import (
    accounts,
    areas,
    audit,
    channels,
    committees,
    db,
    digest,
    flows,
    i18n,
    keys,
    outbox,
    purge,
    reports,
    serve,
    simulate,
    token,
    ussd,
    worker,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Border feedback gateway.")
app.command("serve")(serve.serve)
app.command("simulate")(simulate.simulate)
app.command("worker")(worker.worker)
app.command("audit")(audit.audit)
app.command("purge")(purge.purge)
app.add_typer(db.app, name="db")
app.add_typer(flows.app, name="flows")
app.add_typer(reports.app, name="reports")
app.add_typer(areas.app, name="areas")
app.add_typer(i18n.app, name="i18n")
app.add_typer(ussd.app, name="ussd")
app.add_typer(outbox.app, name="outbox")
app.add_typer(committees.app, name="committees")
app.add_typer(digest.app, name="digest")
app.add_typer(token.app, name="token")
app.add_typer(accounts.app, name="accounts")
app.add_typer(keys.app, name="keys")
app.add_typer(channels.app, name="channels")


def main() -> None:
    app()
