"""The overview's map in a real browser: drawn, within the CSP (no console error), nothing fetched
from elsewhere, and a commune's link opening its reports. `make screenshots` keeps the picture as
docs/console/overview-map.png. The outlines are synthetic squares (tests/areas/synthetic_boundaries.py):
the picture shows how the map looks, not where any commune lies."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import select

from gateway.areas.models import Area
from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.accounts.helpers import make_user
from tests.areas.boundary_pcodes import numbered_pcodes
from tests.areas.synthetic_boundaries import jagged_grid, write
from tests.helpers import MakeReport
from tests.web.browser import Traffic, screenshot, sign_in
from tests.web.conftest import ServeGateway
from tests.web.test_console_map import load


async def test_the_map_in_a_browser(
    gateway: Gateway,
    serve_gateway: ServeGateway,
    page: Page,
    traffic: Traffic,
    screenshots_dir: Path,
    make_report: MakeReport,
    tmp_path: Path,
) -> None:
    now = utcnow()
    async with numbered_pcodes(gateway) as codes:
        await load(gateway, write(tmp_path / "all.geojson", jagged_grid([c for c, _ in codes], columns=12)))
        async with gateway.sessionmaker() as db:
            names = dict((await db.execute(select(Area.id, Area.name).where(Area.level == 3))).all())
        unique = [i for _, i in codes if list(names.values()).count(names[i]) == 1]
        for n, area_id in enumerate(unique[::3]):
            for _ in range(n % 7):
                await make_report(names[area_id], at=now)
        await make_user(gateway, now=now)
        served = await serve_gateway()
        await sign_in(page, served.url("/signin"))
        await expect(page).to_have_url(served.url("/overview"))
        svg = page.locator("svg.map")
        await expect(svg).to_be_visible()
        box = await svg.bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 300
        await expect(svg.locator("a")).to_have_count(len(codes))
        await svg.scroll_into_view_if_needed()
        await screenshot(page, screenshots_dir, "overview-map")
        first = unique[0]
        link = svg.locator(f'a[href*="area={first}&"]')
        await link.click()
        await expect(page).to_have_url(re.compile(rf"/reports\?area={first}&from=\d{{4}}-\d\d-\d\d$"))
    assert traffic.off_loopback() == []
    assert traffic.console_errors == []
    assert traffic.page_errors == []
