"""Made-up P-codes ("SYN…") put on a few of the seeded communes for a test, and taken off after:
the seeded areas outlive each test (tests/helpers.py empty_tables keeps them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select, update

from gateway.areas.models import Area
from gateway.wiring import Gateway

# Three real commune names (ours, seeded), each with a synthetic code that no dataset uses.
COMMUNES = {"SYN01": "Zégoua", "SYN02": "Banfora", "SYN03": "Finkolo"}


@asynccontextmanager
async def synthetic_pcodes(
    gateway: Gateway, codes: dict[str, str] | None = None
) -> AsyncIterator[dict[str, int]]:
    """{P-code: area id} for the communes named in `codes`, with those P-codes set meanwhile."""
    codes = codes or COMMUNES
    ids: dict[str, int] = {}
    async with gateway.sessionmaker() as db, db.begin():
        for pcode, name in codes.items():
            area_id = (
                await db.execute(select(Area.id).where(Area.name == name, Area.level == 3))
            ).scalar_one()
            await db.execute(update(Area).where(Area.id == area_id).values(pcode=pcode))
            ids[pcode] = area_id
    gateway.directory.invalidate()
    try:
        yield ids
    finally:
        async with gateway.sessionmaker() as db, db.begin():
            await db.execute(update(Area).where(Area.id.in_(ids.values())).values(pcode=None))
        gateway.directory.invalidate()


@asynccontextmanager
async def numbered_pcodes(gateway: Gateway) -> AsyncIterator[list[tuple[str, int]]]:
    """Every seeded commune gets "SYN<id>": for the map's size on the whole area."""
    async with gateway.sessionmaker() as db, db.begin():
        ids = list((await db.execute(select(Area.id).where(Area.level == 3).order_by(Area.id))).scalars())
        for area_id in ids:
            await db.execute(update(Area).where(Area.id == area_id).values(pcode=f"SYN{area_id:04d}"))
    gateway.directory.invalidate()
    try:
        yield [(f"SYN{i:04d}", i) for i in ids]
    finally:
        async with gateway.sessionmaker() as db, db.begin():
            await db.execute(update(Area).where(Area.id.in_(ids)).values(pcode=None))
        gateway.directory.invalidate()
