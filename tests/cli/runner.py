"""`gateway …` run as an organiser types it: exit code, standard output, standard error."""

from __future__ import annotations

import asyncio
from typing import NamedTuple

from typer.testing import CliRunner

from gateway.cli import app


class Ran(NamedTuple):
    code: int
    out: str
    err: str


def invoke(env: dict[str, str], *args: str, stdin: str | None = None) -> Ran:
    result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    return Ran(result.exit_code, result.stdout, result.stderr)


async def invoke_in_thread(env: dict[str, str], *args: str, stdin: str | None = None) -> Ran:
    """From a test that runs in the event loop: the command runs its own loop, in a thread."""
    return await asyncio.to_thread(invoke, env, *args, stdin=stdin)
