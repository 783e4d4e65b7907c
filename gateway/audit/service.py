from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.audit.models import AuditEvent
from gateway.security.phone import mask_in_text


def record(db: AsyncSession, *, actor: str, role: str, action: str, detail: str = "", rows: int = 0) -> None:
    """Added to the caller's transaction: the read and its record stand or fall together."""
    db.add(
        AuditEvent(actor=actor[:160], role=role, action=action, detail=mask_in_text(detail)[:2000], rows=rows)
    )
