from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, UTCDateTime, utcday


class Contact(Base):
    """A phone that has used the service. The number itself is only stored encrypted."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    home_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    # Set by STOP (any language) or the provider's opt-out: no broadcasts; reports still accepted.
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Days, not moments: a contact made (or its language changed) a minute before an anonymous
    # report would otherwise point at the phone that sent it.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcday)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcday, onupdate=utcday)
