from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ColumnElement, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from gateway.db.base import Base, UTCDateTime, utcnow

# A report still waiting for someone: what forwarding and a first acknowledgement move on.
OPEN = ("new", "forwarded")
# Urgent reports (the inbox's filter), and the urgent reports nobody has taken up yet (the
# console's overview), as the partial indexes' predicates: written out in full, not as bound
# parameters, so PostgreSQL matches a query's WHERE to them whatever its plan (a generic plan
# knows nothing of a parameter's value).
URGENT = "urgency = 'urgent'"
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
        # Migration 0016: the inbox's filters, each read newest first from its value.
        Index("ix_reports_topic_created", "topic", "created_at"),
        Index("ix_reports_status_created", "status", "created_at"),
        Index("ix_reports_language_created", "language", "created_at"),
        Index(
            "ix_reports_urgent_created",
            "created_at",
            postgresql_where=text(URGENT),
            sqlite_where=text(URGENT),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str] = mapped_column(String(32))
    # Indexed by ix_reports_area_created (area_id first).
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
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


def status_among(*statuses: str) -> ColumnElement[bool]:
    """`reports.status IN (…)` as an expression that no index on the status serves, for a query
    that narrows by place and time as well.

    SQLite keeps no statistics until ANALYZE runs (nothing runs it on a gateway's file), and without
    them its planner takes ix_reports_status_created for any test of the status, reading every
    report of that status ever made. At 1,000,000 reports (docs/benchmarks.md, committee
    summaries): a summary's first open reports 1.25 s that way against 0.30 s by (area_id,
    placed_at); forwarding what a committee's summary counted 0.75 s against 0.05 s, with
    SQLite's one write lock held throughout. PostgreSQL, which has statistics, plans the same."""
    return Report.status.concat("").in_(statuses)


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


class ReportWeekCount(Base):
    """How many reports a week (Monday, UTC) holds per topic, commune and language: what the
    console's overview counts, without a pass over every report of the weeks.

    Kept by the database itself (triggers on reports, migrations 0016 and 0019): every report
    written, corrected (its topic, place, language or date) or deleted appends a move of +1 or -1
    (ReportWeekMove) in the same transaction, whichever code path wrote it; the minute sweep folds
    the moves in here (gateway/reports/week_counts.py). A count is this row plus its moves."""

    __tablename__ = "report_week_counts"

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The report's commune; 0 for the reports without a place yet (a key may not be NULL).
    area_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)


class ReportWeekMove(Base):
    """One report counted in (+1) or out (-1) of a week's ReportWeekCount row, not yet folded in.

    Appended by the triggers (migration 0019) rather than updating the count in place: reports of
    one incident (same week, topic, commune and language) arriving together would otherwise queue
    on that one row, each waiting for the one before it to commit."""

    __tablename__ = "report_week_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(32))
    area_key: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    reports: Mapped[int] = mapped_column(Integer)
