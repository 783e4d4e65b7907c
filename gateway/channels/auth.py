"""The shared-secret check on provider callbacks (providers like AT sign nothing)."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request


def require_callback_token(request: Request) -> None:
    expected: str | None = request.app.state.gateway.settings.callback_token
    if not expected:
        return
    given = request.query_params.get("token", "")
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise HTTPException(status_code=403, detail="invalid or missing callback token")
