"""What a reader may see: organisers and viewers everything, a committee (token or person) its own
communes. Shared by the API and the console, which may not import each other."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.coverage import communes_under
from gateway.committees.models import CommitteeArea
from gateway.wiring import Gateway


class Scoped(Protocol):
    """An API token's holder (accounts.tokens.Principal) or a console person (accounts.people.Person)."""

    @property
    def role(self) -> str: ...

    @property
    def committee_id(self) -> int | None: ...


async def reach(db: AsyncSession, gateway: Gateway, principal: Scoped) -> set[int] | None:
    """The communes `principal` may read about; None means everywhere."""
    if principal.role != "committee":
        return None
    areas = (
        await db.execute(
            select(CommitteeArea.area_id).where(CommitteeArea.committee_id == principal.committee_id)
        )
    ).scalars()
    return communes_under(await gateway.directory.get(db), list(areas))
