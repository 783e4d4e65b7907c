from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest
from sqlalchemy import select

from gateway.areas.models import Area
from gateway.committees.models import Committee
from gateway.committees.service import NewMember, add_member, create_committee
from gateway.reports.models import Report
from gateway.reports.service import NewReport, create_report
from gateway.wiring import Gateway

MakeCommittee = Callable[..., Awaitable[Committee]]
MakeReport = Callable[..., Awaitable[Report]]


@pytest.fixture
async def make_committee(gateway: Gateway) -> MakeCommittee:
    async def make(
        name: str, areas: list[str], members: list[NewMember], schedule: str = "weekly mon 08:00"
    ) -> Committee:
        async with gateway.sessionmaker() as db, db.begin():
            committee = await create_committee(db, name, areas, schedule, "Africa/Bamako")
            for member in members:
                await add_member(db, gateway.vault, committee, member, "ML")
        return committee

    return make


@pytest.fixture
async def make_report(gateway: Gateway) -> MakeReport:
    async def make(
        commune: str,
        *,
        topic: str = "security_incident",
        urgency: str = "serious",
        anonymous: bool = False,
        contact_id: int | None = None,
        at: datetime | None = None,
        text: str = "Des hommes armés au marché",
        language: str = "fr",
    ) -> Report:
        async with gateway.sessionmaker() as db, db.begin():
            area = (await db.execute(select(Area).where(Area.name == commune, Area.level == 3))).scalar_one()
            report = await create_report(
                db,
                NewReport(
                    "sms",
                    language,
                    topic,
                    area.id,
                    urgency,
                    text,
                    anonymous,
                    None if anonymous else contact_id,
                ),
            )
            if at is not None:
                report.created_at = at
        return report

    return make
