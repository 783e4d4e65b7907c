"""What a token may see: organisers and viewers everything, a committee token its own communes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.tokens import Principal
from gateway.areas.coverage import communes_under
from gateway.committees.models import CommitteeArea
from gateway.wiring import Gateway


async def reach(db: AsyncSession, gateway: Gateway, principal: Principal) -> set[int] | None:
    """The communes `principal` may read about; None means everywhere."""
    if principal.role != "committee":
        return None
    areas = (
        await db.execute(
            select(CommitteeArea.area_id).where(CommitteeArea.committee_id == principal.committee_id)
        )
    ).scalars()
    return communes_under(await gateway.directory.get(db), list(areas))
