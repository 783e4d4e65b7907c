"""`gateway simulate` shows what a handset shows, and the caller's answers; logs only when asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.cli.runner import invoke

# French, then the main menu key, then hang up.
ANSWERS = "1\n00\n"


def test_quiet_by_default_screens_and_answers_only(env: dict[str, str]) -> None:
    # Even at the most talkative log level the operator may have configured.
    code, out, err = invoke({**env, "GATEWAY_LOG_LEVEL": "DEBUG"}, "simulate", stdin=ANSWERS)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "CON Choisissez votre langue:"
    assert "> 1" in lines
    assert "> 00" in lines
    assert lines.index("> 1") < lines.index("> 00")
    assert err == "(hung up)\n"


def test_verbose_shows_a_log_line_and_the_length_of_each_screen(env: dict[str, str]) -> None:
    code, out, err = invoke(env, "simulate", "--verbose", stdin=ANSWERS)
    assert code == 0, err
    assert err.count("ussd hop screen=") == 3
    assert "ussd hop screen=main:home" in err
    assert err.count(" chars]") == 3
    assert "ussd hop" not in out


def test_a_fresh_database_is_made_without_a_word_from_alembic(tmp_path: Path) -> None:
    """In a process of its own, as a newcomer first runs it: the migrations and alembic's own start-up
    log nothing a caller's screens would drown in."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    environment |= {
        "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}",
        "GATEWAY_SECRET_KEY": "test-secret-key-not-for-production-0123456789",
    }
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "simulate", "--language", "fr"],
        input="",
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,  # no .env from the working tree
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "(hung up)\n"
    assert done.stdout.startswith("CON Choisissez votre langue:")
    assert "\n> 1\nCON " in done.stdout
