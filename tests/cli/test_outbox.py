"""`gateway outbox list`: a table with a header and each message's text, or data for programs; and
the message ids the same there as in the log provider's line."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from gateway.logging import log_handler
from gateway.outbox import provider
from gateway.outbox.models import OutboundMessage
from gateway.outbox.provider import LogProvider
from gateway.wiring import Gateway
from tests.cli.runner import invoke_in_thread

LONG = "Forum frontalier de Zégoua: " + "ordre du jour très chargé, " * 10 + "fin."
HOSTILE = '=HYPERLINK("http://evil.example/","Voir")'


async def queue(gateway: Gateway, *texts: str) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        for number, text in enumerate(texts):
            await gateway.outbox.enqueue(
                db, phone=f"+2237600030{number}", text=text, language="fr", kind="notice"
            )


async def provider_ids(gateway: Gateway) -> list[str]:
    async with gateway.sessionmaker() as db:
        rows = await db.execute(select(OutboundMessage.provider_message_id).order_by(OutboundMessage.id))
        return [row for row in rows.scalars() if row]


@pytest.fixture
def provider_log(gateway: Gateway) -> Iterator[io.StringIO]:
    """The log provider's lines, as the configured handler (masking included) writes them."""
    stream = io.StringIO()
    handler = log_handler(gateway.settings, stream)
    logger = logging.getLogger("gateway.sms.log_provider")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


async def test_the_table_has_a_header_and_each_text_cut_to_fit(gateway: Gateway, env: dict[str, str]) -> None:
    await queue(gateway, "Réunion demain à 9h.", LONG)
    ran = await invoke_in_thread(env, "outbox", "list")
    assert ran.code == 0, ran.err
    header, *rows = ran.out.splitlines()
    assert header.split()[:3] == ["id", "created", "(UTC)"]
    assert header.split()[-1] == "text"
    assert len(rows) == 2
    assert rows[0].endswith("…")  # the newest first: the long one, cut
    assert "Forum frontalier de Zégoua" in rows[0]
    assert rows[1].endswith("Réunion demain à 9h.")
    assert all(len(line) <= int(env["COLUMNS"]) for line in ran.out.splitlines())
    assert "+2237" not in ran.out
    assert "2 message(s)" in ran.err


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
async def test_formats_for_programs_hold_the_whole_text(
    gateway: Gateway, env: dict[str, str], fmt: str
) -> None:
    await queue(gateway, LONG, HOSTILE)
    ran = await invoke_in_thread(env, "outbox", "list", "--format", fmt)
    assert ran.code == 0, ran.err
    parse: dict[str, Callable[[str], list[dict[str, Any]]]] = {
        "json": json.loads,
        "jsonl": lambda out: [json.loads(line) for line in out.splitlines()],
        "csv": lambda out: list(csv.DictReader(io.StringIO(out))),
    }
    records = parse[fmt](ran.out)
    bodies = {record["body"] for record in records}
    assert bodies == {LONG, "'" + HOSTILE if fmt == "csv" else HOSTILE}
    assert {record["status"] for record in records} == {"queued"}
    assert "phone" not in ran.out


async def test_output_to_a_file(gateway: Gateway, env: dict[str, str], tmp_path: Path) -> None:
    await queue(gateway, "Réunion demain à 9h.")
    target = tmp_path / "outbox.jsonl"
    ran = await invoke_in_thread(env, "outbox", "list", "--format", "jsonl", "--output", str(target))
    assert (ran.code, ran.out) == (0, "")
    assert json.loads(target.read_text(encoding="utf-8"))["body"] == "Réunion demain à 9h."


async def test_message_ids_are_whole_in_the_list_and_in_the_log_line(
    gateway: Gateway,
    env: dict[str, str],
    make_dispatcher: Callable[..., Any],
    provider_log: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The worst draw of the random id: all digits, which the log masking takes for a phone number
    # where they touch the edge of the id.
    with monkeypatch.context() as patched:
        patched.setattr(provider, "secrets", SimpleNamespace(token_hex=lambda n: "1234567890123456"[: 2 * n]))
        await queue(gateway, "Réunion demain à 9h.")
        await make_dispatcher(LogProvider()).dispatch_once()
    await queue(gateway, "Rappel: réunion demain.")
    await make_dispatcher(LogProvider()).dispatch_once()

    ids = await provider_ids(gateway)
    assert len(ids) == 2
    line = provider_log.getvalue()
    table = await invoke_in_thread(env, "outbox", "list")
    listed = await invoke_in_thread(env, "outbox", "list", "--format", "jsonl")
    for message_id in ids:
        assert message_id.startswith("log-")
        assert f"[{message_id}]" in line
        assert message_id in table.out
    assert {json.loads(row)["provider_message_id"] for row in listed.out.splitlines()} == set(ids)
