"""Idempotency keys on broadcast creation: a request sent again with the same key (per API token)
gets the draft the first one made, never a second draft. Callers own the transaction."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.broadcasts.errors import BroadcastError
from gateway.broadcasts.models import Broadcast

FIELD = "Idempotency-Key"


def request_digest(body: dict[str, Any]) -> str:
    """The same request, however its JSON was spaced or ordered, gives the same digest."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def keyed(db: AsyncSession, token_id: int, key: str, digest: str) -> Broadcast | None:
    """The broadcast this token made with this key, if any; a different request under a key
    already used is refused, since answering it with the first one's draft would mislead."""
    broadcast = (
        await db.execute(
            select(Broadcast).where(Broadcast.token_id == token_id, Broadcast.idempotency_key == key)
        )
    ).scalar_one_or_none()
    if broadcast is not None and broadcast.request_digest != digest:
        raise BroadcastError(FIELD, "this key was used for a different request; use a new key")
    return broadcast


def remember(broadcast: Broadcast, key: str, digest: str) -> None:
    """Kept on the broadcast, unique per token: of two requests racing with one key, one commits."""
    broadcast.idempotency_key, broadcast.request_digest = key, digest
