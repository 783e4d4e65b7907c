"""Many reports at once, written in one statement: thousands in a fraction of a second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from gateway.areas.models import Area
from gateway.reports.models import Report
from gateway.wiring import Gateway

TEXT = (
    "Des hommes armés ont bloqué la route entre Zégoua et Pogo ; les commerçants ont dû payer "
    "pour passer, et les femmes qui vont au marché de Niangoloko ont peur. "
) * 9


async def insert_reports(gateway: Gateway, count: int, commune: str = "Zégoua", text: str = TEXT) -> None:
    """`count` anonymous reports in `commune`, three to a second (ties that pages must break)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with gateway.sessionmaker() as db, db.begin():
        area = (await db.execute(select(Area.id).where(Area.name == commune, Area.level == 3))).scalar_one()
        await db.execute(
            insert(Report),
            [
                {
                    "reference": f"R-X{i:05d}",
                    "created_at": start + timedelta(seconds=i // 3),
                    "placed_at": start + timedelta(seconds=i // 3),
                    "channel": "ussd",
                    "language": "fr",
                    "topic": "security_incident",
                    "area_id": area,
                    "urgency": "serious",
                    "description": f"{i}. {text}",
                    "anonymous": True,
                    "contact_id": None,
                    "status": "new",
                }
                for i in range(count)
            ],
        )
