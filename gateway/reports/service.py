"""Storing reports. Callers own the transaction; nothing here commits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.base import utcnow
from gateway.reports.models import Report
from gateway.reports.reference import new_reference

Topic = Literal[
    "security_incident",
    "community_conflict",
    "cross_border_trade",
    "movement_documents",
    "checkpoint_harassment",
    "other",
]
Urgency = Literal["urgent", "serious", "information"]
Status = Literal["new", "forwarded", "acknowledged", "in_progress", "closed"]
TOPICS: tuple[str, ...] = get_args(Topic)
URGENCIES: tuple[str, ...] = get_args(Urgency)
STATUSES: tuple[str, ...] = get_args(Status)
CHANNELS = ("ussd", "sms")
NO_FREE_REFERENCE = "could not find a free report reference"


class InvalidReport(ValueError):
    pass


@dataclass(frozen=True)
class NewReport:
    channel: str
    language: str
    topic: str
    area_id: int | None
    urgency: str
    description: str
    anonymous: bool
    contact_id: int | None

    def validate(self) -> None:
        if self.channel not in CHANNELS:
            raise InvalidReport(f"unknown channel {self.channel!r}")
        if self.topic not in TOPICS:
            raise InvalidReport(f"unknown topic {self.topic!r}")
        if self.urgency not in URGENCIES:
            raise InvalidReport(f"unknown urgency {self.urgency!r}")
        if not self.description.strip():
            raise InvalidReport("empty description")
        if self.anonymous and self.contact_id is not None:
            raise InvalidReport("an anonymous report cannot name its contact")


def candidate_references() -> Iterator[str]:
    """References to try in turn until one is free. Four characters give 810,000; lengthen only
    when collisions say they run out."""
    for attempt in range(12):
        yield new_reference(4 + attempt // 4)


def report_values(new: NewReport, reference: str, now: datetime) -> dict[str, Any]:
    """The new report's row, column by column (also what the lean USSD hop inserts itself)."""
    return {
        "reference": reference,
        "created_at": now,
        "channel": new.channel,
        "language": new.language,
        "topic": new.topic,
        "area_id": new.area_id,
        "urgency": new.urgency,
        "description": new.description,
        "anonymous": new.anonymous,
        "contact_id": None if new.anonymous else new.contact_id,
        "status": "new",
        "placed_at": now if new.area_id is not None else None,
        "place_confirmed": True,
    }


async def create_report(session: AsyncSession, new: NewReport) -> Report:
    new.validate()
    for reference in candidate_references():
        report = Report(**report_values(new, reference, utcnow()))
        try:
            async with session.begin_nested():
                session.add(report)
        except IntegrityError:
            continue
        return report
    raise RuntimeError(NO_FREE_REFERENCE)


async def reports_of_contact(session: AsyncSession, contact_id: int, limit: int = 20) -> list[Report]:
    result = await session.execute(
        select(Report).where(Report.contact_id == contact_id).order_by(Report.created_at.desc()).limit(limit)
    )
    return list(result.scalars())
