from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, UTCDateTime, utcnow


class Committee(Base):
    """A forum follow-up committee: the areas it covers, who is in it, when it hears from us."""

    __tablename__ = "committees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    schedule: Mapped[str] = mapped_column(String(64))  # "daily 08:00" or "weekly mon 08:00"
    timezone: Mapped[str] = mapped_column(String(64), default="Africa/Bamako")
    # The scheduler's clock: a summary is due when this has passed; it survives restarts.
    next_digest_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_digest_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommitteeArea(Base):
    """An area a committee covers: a commune, or a cercle/province or region with all below it."""

    __tablename__ = "committee_areas"

    committee_id: Mapped[int] = mapped_column(
        ForeignKey("committees.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True, index=True)


class CommitteeMember(Base):
    __tablename__ = "committee_members"
    __table_args__ = (UniqueConstraint("committee_id", "phone_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(64), default="")
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_encrypted: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    receives_summaries: Mapped[bool] = mapped_column(Boolean, default=True)
    receives_alerts: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Digest(Base):
    """One summary period of one committee; the unique key is what stops a period going out twice."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("committee_id", "period_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    total: Mapped[int] = mapped_column(Integer)
    messages: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
