from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from gateway.db.base import Base, UTCDateTime, utcnow

# A report still waiting for someone: what forwarding and a first acknowledgement move on.
OPEN = ("new", "forwarded")
# The urgent reports nobody has taken up yet (the console's overview), as the partial index's
# predicate: written out in full so PostgreSQL matches a query's WHERE to it whatever its plan.
URGENT_OPEN = "urgency = 'urgent' AND status IN (" + ", ".join(f"'{s}'" for s in OPEN) + ")"


class Report(Base):
    """What a resident reported. An anonymous report has no contact_id and nothing else that leads to one."""

    __tablename__ = "reports"
    # Summaries count reports by commune over a period.
    __table_args__ = (
        Index("ix_reports_area_created", "area_id", "created_at"),
        Index("ix_reports_area_placed", "area_id", "placed_at"),
        # Migration 0014: the few urgent open reports among many, newest first, without a scan.
        Index(
            "ix_reports_urgent_open",
            "created_at",
            "area_id",
            postgresql_where=text(URGENT_OPEN),
            sqlite_where=text(URGENT_OPEN),
        ),
    )

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
    # When the report reached the place it is counted in now: its creation, or a later answer or
    # correction. Summaries count reports by this, so one placed late is not missed.
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An SMS report without a place: when its sender was asked where (once).
    place_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # False while the place is only the sender's usual commune, used for an urgent report whose
    # sender did not say where in time.
    place_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    # When committee members were first alerted (urgent reports only).
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReportEvent(Base):
    """What happened to a report after it was made: forwarded, acknowledged, status changes."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # status | ack | info | told | place | topic
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
