from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, UTCDateTime, utcnow


class Subscription(Base):
    """A resident who wants the forum's notices for a commune."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("contact_id", "area_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Meeting(Base):
    __tablename__ = "meetings"
    # A console form sent twice (a double click, a page refreshed) gets the meeting the first made.
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[dict[str, Any]] = mapped_column(JSON)  # language -> text
    place: Mapped[str] = mapped_column(String(160))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    agenda: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # language -> text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The console account whose form made it, the form's one-time key and a digest of what it said
    # (broadcasts.idempotency): the same form again is answered with this meeting.
    user_id: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_digest: Mapped[str | None] = mapped_column(String(64))


class Broadcast(Base):
    """A notice (about a meeting, with RSVP), its reminder, or a plain announcement, to subscribers
    of some areas. Made as a draft, scheduled by an organiser, then expanded into outbox rows in
    batches by the worker (lifecycle.py has the moves between statuses)."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        Index("ix_broadcasts_due", "status", "send_at"),
        # A client that retries a creation (a slow connection, a double click) gets its draft back.
        UniqueConstraint("token_id", "idempotency_key"),
        # The same for the console's composer, whose requests have a person, not a token.
        UniqueConstraint("user_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # notice | reminder | announcement
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))  # a reminder's notice
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # language -> text (announcements)
    french_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    # The readers' languages it is limited to (codes, in CODES order); empty: every language.
    # A server default so that rows written before the column, and raw inserts, mean "all".
    languages: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    asks_rsvp: Mapped[bool] = mapped_column(Boolean, default=False)
    # Empty on a draft made without a time: it goes when it is scheduled.
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # draft -> scheduled -> expanding -> done; or paused, cancelled, failed
    status: Mapped[str] = mapped_column(String(16), default="draft")
    cursor: Mapped[int] = mapped_column(Integer, default=0)  # last contact id expanded
    created_by: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the expander gave up on it (status failed): for the organiser, who must fix and redo it.
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # The API token that made it and the Idempotency-Key it sent, with a digest of the request, so
    # that the same key with another body is refused rather than answered with the wrong draft.
    token_id: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_digest: Mapped[str | None] = mapped_column(String(64))
    # The console account whose composer made it (its form's key is `idempotency_key`).
    user_id: Mapped[int | None] = mapped_column(Integer)


class BroadcastArea(Base):
    __tablename__ = "broadcast_areas"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)


class BroadcastRecipient(Base):
    """One person a broadcast went to: the unique key is what stops a second copy after a crash."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "contact_id"),
        Index("ix_broadcast_recipients_open", "contact_id", "rsvp"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    # Empty once retention has deleted the contact: the row still counts in the broadcast's totals.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    language: Mapped[str] = mapped_column(String(8))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id"))
    rsvp: Mapped[str | None] = mapped_column(String(8))  # yes | no
    rsvp_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
