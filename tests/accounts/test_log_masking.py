"""The console's secrets are masked in every log line, as phone numbers are (gateway/logging.py)."""

from __future__ import annotations

import logging

import pytest

from gateway.accounts.secret_tokens import INVITATION_PREFIX, SESSION_PREFIX, new_token, session_digest
from gateway.config import load_settings
from gateway.logging import Scrubber
from tests.security.test_logging import emitted

HASH = "$argon2id$v=19$m=65536,t=3,p=4$55M1SruLZ2BhUGu8IfL4sg$/k2K2NkaxxBEL6jPrnX0yoqPbpBql73gDUB9R5CMHls"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_tokens_hashes_and_emails_are_hidden(log_format: str) -> None:
    invitation, session = new_token(INVITATION_PREFIX), new_token(SESSION_PREFIX)
    digest = session_digest(session)
    lines = [
        f'127.0.0.1:50412 - "GET /invitation/{invitation} HTTP/1.1" 200',
        f"cookie gw_session={session}",
        f"[parameters: ('Awa', 'awa.traore@example.org', '{HASH}', '{digest}')]",
        f"https://console.example.org/invitation/{invitation}?x=1",
    ]
    record = logging.LogRecord("gateway", logging.WARNING, __file__, 1, "\n".join(lines), None, None)
    out = emitted(load_settings(_env_file=None, log_format=log_format), record)
    for secret in (
        invitation,
        invitation[4:],
        session,
        session[4:],
        digest,
        "awa.traore@example.org",
        HASH,
        "55M1Sru",
    ):
        assert secret not in out, out
    assert "/invitation/***" in out
    assert "console.example.org/invitation/" in out  # the rest of the line stays readable


def test_what_is_not_secret_is_left_alone() -> None:
    scrub = Scrubber()
    for line in (
        "postgresql+asyncpg://postgres@127.0.0.1:5432/gw",
        "GET /signin HTTP/1.1 200",
        "user awa signed in",
        "commit deadbeefcafe",
    ):
        assert scrub(line) == line
