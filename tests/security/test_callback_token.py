"""The callback token: required before `gateway serve` starts anywhere callbacks can come from
outside, long enough, and checked on every callback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from gateway.app import create_app
from gateway.channels.auth import callback_token_ok
from gateway.cli import app as cli
from gateway.cli import serve
from gateway.config import SettingsError, load_settings
from gateway.logging import TextFormatter
from gateway.ops.metric_files import MULTIPROCESS_ENV
from gateway.wiring import Gateway
from tests.helpers import USSD_URL
from tests.security.logs import restored_logging

TOKEN = "a-long-random-callback-token-Qx7"
POSTGRES = "postgresql+asyncpg://gateway@127.0.0.1:1/never"
SQLITE = "sqlite+aiosqlite:////tmp/never.db"
FIRST_HOP = {
    "sessionId": "ATUid_token",
    "phoneNumber": "+22376000321",
    "serviceCode": "*384*1234#",
    "text": "",
}


@pytest.mark.parametrize(
    ("database_url", "provider"),
    [(POSTGRES, "log"), (SQLITE, "africastalking"), (POSTGRES, "africastalking")],
)
@pytest.mark.parametrize("token", [None, "", "   "])
def test_a_deployment_needs_a_token(database_url: str, provider: str, token: str | None) -> None:
    settings = load_settings(
        _env_file=None, database_url=database_url, provider=provider, callback_token=token
    )
    with pytest.raises(SettingsError, match="GATEWAY_CALLBACK_TOKEN is required"):
        settings.require_callback_token()


def test_development_may_go_without_one() -> None:
    settings = load_settings(_env_file=None, database_url=SQLITE, provider="log", callback_token=None)
    assert settings.require_callback_token() is None


def test_a_short_token_is_refused_even_in_development() -> None:
    settings = load_settings(_env_file=None, database_url=SQLITE, callback_token="x" * 15)
    with pytest.raises(SettingsError, match="too short"):
        settings.require_callback_token()
    assert load_settings(_env_file=None, callback_token="x" * 16).require_callback_token() == "x" * 16


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[dict[str, Any]]]:
    """What `serve` handed to uvicorn, instead of serving (and with no migrations to run)."""
    calls: list[dict[str, Any]] = []
    # `serve --workers` points prometheus at a directory through the environment: undone afterwards.
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path))
    monkeypatch.setenv("GATEWAY_METRICS_DIR", str(tmp_path))
    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **options: calls.append({"app": app, **options}))
    monkeypatch.setattr(serve, "ensure_schema", lambda settings: None)
    monkeypatch.setattr("gateway.ops.companion.Companion", _NoCompanion)
    _NoCompanion.events.clear()
    with restored_logging():
        yield calls


class _NoCompanion:
    """Serve's companion process (ops/companion.py), not started: tests/ops/test_companion.py starts real ones."""

    events: list[str] = []

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")


def run_serve(*args: str, **settings: str) -> Result:
    """`gateway serve` with these settings over no token and the log provider (whatever a .env says)."""
    env = {"GATEWAY_CALLBACK_TOKEN": "", "GATEWAY_PROVIDER": "log"}
    env |= {f"GATEWAY_{name.upper()}": value for name, value in settings.items()}
    return CliRunner().invoke(cli, ["serve", *args], env=env)


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"database_url": POSTGRES}, "is required"),
        ({"database_url": SQLITE, "provider": "africastalking"}, "is required"),
        ({"database_url": POSTGRES, "callback_token": "tiny-Tok3n"}, "too short"),
    ],
)
def test_serve_refuses_to_start_without_a_usable_token(
    started: list[dict[str, Any]], settings: dict[str, str], problem: str
) -> None:
    result = run_serve(**settings)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert "GATEWAY_CALLBACK_TOKEN" in line
    assert problem in line
    assert "tiny-Tok3n" not in result.stderr  # a token is never echoed
    assert started == []


def test_serve_in_development_starts_and_says_callbacks_are_open(started: list[dict[str, Any]]) -> None:
    result = run_serve(database_url=SQLITE, provider="log")
    assert result.exit_code == 0, result.stderr
    assert len(started) == 1
    [warning] = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert "GATEWAY_CALLBACK_TOKEN is not set" in warning
    assert _NoCompanion.events == ["start", "stop"]  # SQLite: the outbox's sender beside the server


def test_serve_with_workers_is_checked_before_they_start(started: list[dict[str, Any]]) -> None:
    assert run_serve("--workers", "2", database_url=POSTGRES).exit_code == 2
    result = run_serve("--workers", "2", database_url=POSTGRES, callback_token=TOKEN)
    assert result.exit_code == 0, result.stderr
    [call] = started
    assert (call["app"], call["factory"], call["workers"]) == ("gateway.cli.serve:worker_app", True, 2)


def test_each_worker_process_sets_up_masked_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    # Spawned by uvicorn without the parent's logging, a worker would otherwise print through
    # Python's last-resort handler, unmasked.
    monkeypatch.setenv("GATEWAY_DATABASE_URL", POSTGRES)
    monkeypatch.setenv("GATEWAY_CALLBACK_TOKEN", TOKEN)
    with restored_logging():
        logging.getLogger().handlers[:] = []
        serve.worker_app()
        [handler] = logging.getLogger().handlers
        assert isinstance(handler.formatter, TextFormatter)


@pytest.fixture
async def guarded(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway.settings.model_copy(update={"callback_token": TOKEN})
    app = create_app(settings, Gateway(**{**gateway.__dict__, "settings": settings}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


@pytest.mark.parametrize(
    ("query", "status"),
    [
        (f"?token={TOKEN}", 200),
        (f"?a=1&token={TOKEN}", 200),
        (f"?tok%65n={TOKEN}", 200),  # the same name, once URL-decoded
        (f"?Token={TOKEN}", 403),  # another name: only `token` counts
        (f"?TOKEN={TOKEN}", 403),
        ("?token=" + TOKEN[:-1], 403),
        ("?token=", 403),
        (f"?token=wrong&token={TOKEN}", 200),  # the last one, as Starlette reads any query
        (f"?token={TOKEN}&token=wrong", 403),
        ("", 403),
    ],
)
async def test_only_the_parameter_named_token_with_the_right_value_passes(
    guarded: httpx.AsyncClient, query: str, status: int
) -> None:
    assert (await guarded.post(USSD_URL + query, data=FIRST_HOP)).status_code == status


def test_a_query_string_accepted_once_is_accepted_again_only_for_the_same_token() -> None:
    """The check remembers the last query string it accepted (a provider repeats it on every
    callback); a new token in the settings, or any other string, takes the full check again."""
    good = f"token={TOKEN}".encode()
    assert callback_token_ok(good, TOKEN)
    assert callback_token_ok(good, TOKEN)  # remembered
    assert not callback_token_ok(b"token=" + TOKEN[:-1].encode(), TOKEN)
    assert not callback_token_ok(good, TOKEN + "x")  # the token was changed: the old one fails
    assert callback_token_ok(f"token={TOKEN}x".encode(), TOKEN + "x")
    assert not callback_token_ok(good, TOKEN + "x")
    assert callback_token_ok(f"a=1&token={TOKEN}".encode(), TOKEN)
    assert not callback_token_ok(good + b"&token=wrong", TOKEN)
