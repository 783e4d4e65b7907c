from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, UTCDateTime, utcnow


class UssdSession(Base):
    """One dial, from first hop to the provider's end-of-session event.

    `state` holds where the caller is in the flows and what they have answered; `last_text` is
    the provider's whole input path at the last hop, so the next hop's input is what follows it
    (free text may itself hold '*').
    """

    __tablename__ = "ussd_sessions"
    # No index on a column every hop changes (migration 0012): the open sessions, for the sweep.
    __table_args__ = (
        Index(
            "ix_ussd_sessions_open",
            "id",
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        {"postgresql_with": {"fillfactor": 70}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(128), unique=True)
    provider: Mapped[str] = mapped_column(String(32))
    service_code: Mapped[str] = mapped_column(String(64), default="")
    network_code: Mapped[str] = mapped_column(String(16), default="")
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_text: Mapped[str] = mapped_column(Text, default="")
    last_response: Mapped[str] = mapped_column(Text, default="")
    hops: Mapped[int] = mapped_column(Integer, default=0)
    last_screen: Mapped[str] = mapped_column(String(96), default="")
    in_report: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str | None] = mapped_column(String(16))
    resumed_from: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_status: Mapped[str | None] = mapped_column(String(16))
    end_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
