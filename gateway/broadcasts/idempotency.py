"""Idempotency keys on creation: a request sent again with the same key gets what the first one
made, never a second one. An API client sends its key per token (Idempotency-Key, broadcasts); a
console form carries a one-time key of its own, per account (drafts and meetings), so a double click
or a form sent again by the browser's back or refresh makes nothing new. Callers own the transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.broadcasts.errors import BroadcastError
from gateway.broadcasts.models import Broadcast, Meeting

FIELD = "Idempotency-Key"
# The console's keys: what form_key() makes, and nothing else is taken for one.
_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{20,64}")
Made = TypeVar("Made", Broadcast, Meeting)


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


def form_key() -> str:
    """A console form's one-time key, written into the page as a hidden field."""
    return secrets.token_urlsafe(24)


def read_form_key(raw: object) -> str | None:
    """The key a form came back with; None when it has none (or not one form_key() could make)."""
    return raw if isinstance(raw, str) and _FORM_KEY.fullmatch(raw) else None


async def made_with_form(db: AsyncSession, model: type[Made], user_id: int, key: str) -> Made | None:
    """The draft or meeting this account's form with this key made, if any. The caller compares
    its `request_digest`: the same key with other contents is a form sent back after a change."""
    found: Made | None = (
        await db.execute(select(model).where(model.user_id == user_id, model.idempotency_key == key))
    ).scalar_one_or_none()
    return found


def remember_form(made: Broadcast | Meeting, user_id: int, key: str, digest: str) -> None:
    """Kept on the row, unique per account: of two requests racing with one key, one commits."""
    made.user_id, made.idempotency_key, made.request_digest = user_id, key, digest
