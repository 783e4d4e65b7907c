from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, UTCDateTime, utcnow

# queued -> sending -> sent -> delivered, or -> failed; a transient failure goes back to queued.
STATUSES = ("queued", "sending", "sent", "delivered", "failed")


class OutboundMessage(Base):
    """One SMS to one phone, written in the same transaction as what caused it; the dispatcher sends it."""

    __tablename__ = "outbound_messages"
    # The claim query reads this index in order: (status, due time, id) needs no sort.
    __table_args__ = (Index("ix_outbound_messages_due", "status", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_encrypted: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    cost: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Receipts of anonymous reports: once the provider has it, the number and text are erased.
    scrub_after_send: Mapped[bool] = mapped_column(Boolean, default=False)
    # Routing (outbox/routing.py): the channels that refused this message or failed it too often,
    # comma-separated names, and the failed attempts on the channel it is on now.
    tried_channels: Mapped[str] = mapped_column(String(128), default="", server_default="")
    channel_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A request for it may have been taken (outcome `uncertain`, or a claim that lapsed after its
    # request was confirmed): since then it is retried only through `provider`, with the same
    # `provider_message_id`, at `provider_ref` (the channel's own word for where it went, e.g.
    # a phone's name), and never moved to another channel of its route.
    uncertain_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_ref: Mapped[str | None] = mapped_column(String(64))


class DeliveryEvent(Base):
    """Each status a provider reported for a message, with when it arrived."""

    __tablename__ = "delivery_events"
    __table_args__ = (UniqueConstraint("message_id", "provider_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbound_messages.id"), index=True)
    provider_status: Mapped[str] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelState(Base):
    """What is known of each channel, shared by every process: its state from the last check or
    the last sends (for the dispatcher and /readyz), and on PostgreSQL the time its rate limit
    lets the next message go (outbox/ratelimit.py). Channel names only: never a number."""

    __tablename__ = "channel_states"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(
        String(16), default="unknown", server_default="unknown"
    )  # ok | down | unknown
    detail: Mapped[str] = mapped_column(String(200), default="", server_default="")
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A down channel is left alone until then; after it, the next message tries it again.
    down_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
