"""The console's overview: this week's picture, within what the signed-in person may see.

Charts are inline SVG drawn here (bars with their numbers written next to them): no JavaScript and
no file to fetch, and SVG attributes pass the console's CSP, which forbids inline styles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select

from gateway.areas.directory import AreaDirectory
from gateway.broadcasts.listing import count_by_status
from gateway.committees.models import Committee
from gateway.http.deps import GatewayDep
from gateway.http.scope import reach
from gateway.outbox.health import configured_states
from gateway.reports.stats import CountsCache
from gateway.reports.stats import overview as count_overview
from gateway.web.auth import Now, SignedIn, State, console_router, page
from gateway.web.map import commune_map, map_cache

router = console_router()
# What is still to go out or going out; drafts are not under way yet, the rest is over.
BROADCASTS_UNDER_WAY = ("scheduled", "expanding", "paused")


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    width: int  # share of the chart's width, 0-100; at least 1 for a non-zero count


def bars(items: list[tuple[str, int]]) -> list[Bar]:
    top = max((n for _, n in items), default=0)
    return [Bar(label, n, max(1, round(100 * n / top)) if n else 0) for label, n in items]


def counts_cache(request: Request) -> CountsCache:
    """The app's cache of the weeks' counts (one per app, so a test's app never sees another's)."""
    state = request.app.state
    if not hasattr(state, "overview_counts"):
        state.overview_counts = CountsCache()
    cache: CountsCache = state.overview_counts
    return cache


def _place(directory: AreaDirectory, area_id: int | None) -> tuple[str, str]:
    """A commune's name and its cercle/province's, so two communes of one name are told apart."""
    place = directory.get(area_id)
    if place is None:
        return "", ""
    parent = directory.get(place.parent_id)
    return place.name, parent.name if parent else ""


@router.get("/overview")
async def overview(
    request: Request, gateway: GatewayDep, state: State, person: SignedIn, now: Now
) -> Response:
    async with gateway.sessionmaker() as db:
        committee = None
        if person.committee_id is not None:
            committee = (
                await db.execute(select(Committee.name).where(Committee.id == person.committee_id))
            ).scalar_one_or_none()
        directory = await gateway.directory.get(db)
        communes = await reach(db, gateway, person)
        counts = await count_overview(db, communes, now, counts_cache(request))
        broadcasts = await count_by_status(db, directory, BROADCASTS_UNDER_WAY, within=communes)
        channels = await configured_states(db, gateway.channels.names)
        shaded = await commune_map(db, map_cache(request), directory, communes, counts)
    context = {
        "committee": committee,
        "counts": counts,
        "weeks": bars([(_day(start), n) for start, n in counts.weeks]),
        "topics": bars(counts.by_topic),
        "languages": bars(counts.by_language),
        "communes": [
            (*_place(directory, area_id), bar)
            for (area_id, _), bar in zip(
                counts.by_commune, bars([(str(a), n) for a, n in counts.by_commune]), strict=True
            )
        ],
        "urgent": [(r, _place(directory, r.area_id)[0]) for r in counts.urgent],
        "broadcasts": [(status, broadcasts.get(status, 0)) for status in BROADCASTS_UNDER_WAY],
        "channels": channels,
        "map": shaded,
    }
    return page(request, gateway, state, "overview.html", context, person=person)


def _day(moment: datetime) -> str:
    return moment.strftime("%d/%m")
