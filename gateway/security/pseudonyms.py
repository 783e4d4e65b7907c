"""Keyed one-way digests: values that must be recognised again but never read back.

A database copy holds the digest, not the value, and without GATEWAY_SECRET_KEY nobody can test a
guess against it: a provider's session id (which the provider's own records tie to a phone) once
its session produced an anonymous report, the input path of an ended session (it held the
description), and the flood-control key of a number, which also changes every day."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "h:"


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"border-feedback-gateway", info=purpose).derive(
        secret.encode("utf-8")
    )


def _digest(key: bytes, value: str) -> str:
    # 160 bits: no collision in any realistic number of sessions, and short in an index.
    return PREFIX + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:40]


class Pseudonyms:
    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key
        self._session_key = _derive(secret_key, b"ussd-session-id")
        self._path_key = _derive(secret_key, b"ussd-input-path")
        self._inbound_key = _derive(secret_key, b"inbound-message-id")
        self._flood_day: date | None = None
        self._flood_key = b""

    def session_id(self, session_id: str) -> str:
        return _digest(self._session_key, session_id)

    def input_path(self, text: str) -> str:
        return _digest(self._path_key, text)

    def inbound_id(self, value: str) -> str:
        """An incoming message's id when the provider makes it from the message itself (sender,
        text, time): recognised when the provider sends it again, unreadable in a database copy."""
        return _digest(self._inbound_key, value)

    def flood_key(self, scope: str, e164: str, day: date) -> str:
        """Counts one number's traffic for a minute; tomorrow the same number has another key."""
        if day != self._flood_day:
            self._flood_key = _derive(self._secret, b"flood-control:" + day.isoformat().encode("ascii"))
            self._flood_day = day
        return _digest(self._flood_key, f"{scope}:{e164}")


def is_digest(value: str) -> bool:
    return value.startswith(PREFIX)
