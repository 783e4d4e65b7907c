from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, UTCDateTime


class FloodMark(Base):
    """One new USSD session of one number, for a minute.

    The key is a keyed hash that changes every day (security/pseudonyms.py) and the row is deleted
    once it is older than the window, so the table never holds more than the last minute and links
    nothing to a contact, a session or a report — it counts anonymous callers too."""

    __tablename__ = "flood_marks"
    __table_args__ = (Index("ix_flood_marks_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
