"""The shared-secret check on provider callbacks (providers like AT sign nothing)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


# The digest of the last query string found to carry the expected token, per expected token. A
# provider calls back with the very same query string every time, so a USSD hop is checked with
# one hash and one constant-time comparison instead of a parse and two hashes; anything else
# (another string, a token changed in the settings) takes the full check.
_ACCEPTED: dict[str, bytes] = {}


async def require_callback_token(request: Request) -> None:
    """Refuses (403) a callback whose query parameter `token` is not the configured callback token.

    Only the parameter named exactly `token`, once URL-decoded, counts (`?tok%65n=` is that name;
    `?Token=` and `?TOKEN=` are other parameters and get a 403). The values are compared in
    constant time, as digests of equal length, so neither the token nor its length leaks through
    timing. Without a configured token every callback passes: `gateway serve` allows that only in
    development (SQLite and the log provider). async: FastAPI runs a plain function in its thread
    pool, a thread hop per callback for nothing."""
    if not callback_token_ok(
        request.scope.get("query_string", b""), request.app.state.gateway.settings.callback_token
    ):
        raise HTTPException(status_code=403, detail="invalid or missing callback token")


def callback_token_ok(query_string: bytes, expected: str | None) -> bool:
    """The check itself, on a raw query string (the USSD hop's route reads no Request). Parsed as
    Starlette parses `request.query_params`: the last `token` wins."""
    if not expected:
        return True
    seen = hashlib.sha256(query_string).digest()
    accepted = _ACCEPTED.get(expected)
    if accepted is not None and hmac.compare_digest(seen, accepted):
        return True
    given = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)).get("token", "")
    if not hmac.compare_digest(_digest(given), _digest(expected)):
        return False
    _ACCEPTED.clear()  # one entry: the settings hold one token
    _ACCEPTED[expected] = seen
    return True
