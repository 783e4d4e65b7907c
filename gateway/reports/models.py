from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from gateway.db.base import Base, UTCDateTime, utcnow


class Report(Base):
    """What a resident reported. An anonymous report has no contact_id and nothing else that leads to one."""

    __tablename__ = "reports"
    # Summaries count reports by commune over a period.
    __table_args__ = (Index("ix_reports_area_created", "area_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str] = mapped_column(String(32), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    urgency: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new")


class ReportEvent(Base):
    """What happened to a report after it was made: forwarded, acknowledged, status changes."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # status | ack | info
    status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("committee_members.id"))
    # A member's or a token's name: 120 characters at most where they are made; cut here all
    # the same, so a longer one can never make an acknowledgement fail (and AT retry it forever).
    actor: Mapped[str] = mapped_column(String(160), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("actor")
    def _fit_actor(self, _key: str, value: str) -> str:
        return (value or "")[:160]
