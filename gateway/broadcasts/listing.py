"""Finding broadcasts: filtered, newest first, a page at a time, and only those whose areas meet
the communes a reader may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.coverage import area_and_ancestors
from gateway.areas.directory import AreaDirectory
from gateway.broadcasts.models import Broadcast, BroadcastArea
from gateway.broadcasts.service import areas_owner


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    kind: str | None = None
    meeting_id: int | None = None


async def list_broadcasts(
    db: AsyncSession,
    directory: AreaDirectory,
    filters: Filters,
    *,
    within: set[int] | None,
    limit: int,
    offset: int,
) -> list[Broadcast]:
    query = select(Broadcast)
    if filters.status is not None:
        query = query.where(Broadcast.status == filters.status)
    if filters.kind is not None:
        query = query.where(Broadcast.kind == filters.kind)
    if filters.meeting_id is not None:
        query = query.where(Broadcast.meeting_id == filters.meeting_id)
    query = query.where(meets(directory, within))
    query = query.order_by(Broadcast.created_at.desc(), Broadcast.id.desc()).limit(limit).offset(offset)
    return list((await db.execute(query)).scalars())


def meets(directory: AreaDirectory, within: set[int] | None) -> ColumnElement[bool]:
    """The broadcasts whose areas meet the communes `within` (None: all of them)."""
    if within is None:
        return true()
    # A broadcast to a cercle or a province reaches the communes under it: it meets `within`
    # when one of its areas is one of those communes or above one. A reminder has its notice's.
    reaching = {area for commune in within for area in area_and_ancestors(directory, commune)}
    owner = func.coalesce(Broadcast.parent_id, Broadcast.id)
    return (
        select(BroadcastArea.area_id)
        .where(BroadcastArea.broadcast_id == owner, BroadcastArea.area_id.in_(sorted(reaching) or [-1]))
        .exists()
    )


async def count_by_status(
    db: AsyncSession, directory: AreaDirectory, statuses: tuple[str, ...], *, within: set[int] | None
) -> dict[str, int]:
    """How many broadcasts are in each of `statuses` (those with none left out), within reach."""
    rows = await db.execute(
        select(Broadcast.status, func.count())
        .where(Broadcast.status.in_(statuses), meets(directory, within))
        .group_by(Broadcast.status)
    )
    return {status: int(count) for status, count in rows}


async def area_names(
    db: AsyncSession, directory: AreaDirectory, broadcasts: list[Broadcast]
) -> dict[int, list[str]]:
    """broadcast id -> the names of the areas it goes to (a reminder's are its notice's)."""
    owners = {b.id: areas_owner(b) for b in broadcasts}
    rows = await db.execute(
        select(BroadcastArea.broadcast_id, BroadcastArea.area_id).where(
            BroadcastArea.broadcast_id.in_(sorted(set(owners.values())) or [-1])
        )
    )
    by_owner: dict[int, list[str]] = {}
    for owner_id, area_id in rows:
        place = directory.get(area_id)
        by_owner.setdefault(owner_id, []).append(place.name if place else "-")
    return {broadcast_id: sorted(by_owner.get(owner, [])) for broadcast_id, owner in owners.items()}
