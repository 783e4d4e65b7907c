"""The audit log: who read or exported personal data, who changed what."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.audit.models import AuditEvent
from gateway.security.phone import mask_in_text


def record(db: AsyncSession, *, actor: str, role: str, action: str, detail: str = "", rows: int = 0) -> None:
    """Added to the caller's transaction: the read and its record stand or fall together."""
    db.add(
        AuditEvent(actor=actor[:160], role=role, action=action, detail=mask_in_text(detail)[:2000], rows=rows)
    )


class Actor(Protocol):
    """Whoever acts: an API token's holder (accounts.tokens.Principal) or a console person
    (accounts.people.Person)."""

    @property
    def audit_name(self) -> str: ...

    @property
    def role(self) -> str: ...


def record_by(db: AsyncSession, who: Actor, action: str, detail: str = "", rows: int = 0) -> None:
    record(db, actor=who.audit_name, role=who.role, action=action, detail=detail, rows=rows)
