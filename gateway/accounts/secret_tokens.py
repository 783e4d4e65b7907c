"""The console's random tokens (session ids, invitation links, CSRF) and the digests kept of them.

Each kind carries a prefix, so the log scrubber (gateway/logging.py) recognises and hides it
wherever it appears, an access log's request line included."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from gateway.security.keys import derived_key

SESSION_PREFIX = "gws_"
INVITATION_PREFIX = "gwi_"
# Either kind, as the scrubber looks for it: the prefix and at least 16 characters of the token.
PATTERN = re.compile(r"gw[si]_[A-Za-z0-9_-]{16,}")


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def session_digest(token: str) -> str:
    # 256 random bits: a plain digest keeps it out of the database, and survives a key rotation.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenKeys:
    """Keys derived from GATEWAY_SECRET_KEY for invitation digests and CSRF tokens."""

    def __init__(self, secret_key: str) -> None:
        self._invitation = derived_key(secret_key, b"console-invitation")
        self._csrf = derived_key(secret_key, b"console-csrf")

    def invitation_digest(self, token: str) -> str:
        return hmac.new(self._invitation, token.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_token(self, seed: str) -> str:
        """The form token for a browser: bound to its session (or pre-session) cookie, which a page
        on another site can neither read nor choose."""
        return hmac.new(self._csrf, seed.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, seed: str | None, submitted: str | None) -> bool:
        if not seed or not submitted:
            return False
        return hmac.compare_digest(self.csrf_token(seed), submitted)
