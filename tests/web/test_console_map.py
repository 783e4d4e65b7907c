"""The overview's map: before any import it says how to get the outlines; after, communes shaded by
the overview's own counts, a tooltip and an inbox link each, a committee member's communes alone
shaded, and the whole area's map within its weight budget. Outlines are synthetic squares."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.areas.boundaries import import_boundaries
from gateway.areas.boundaries_files import read_boundaries
from gateway.areas.models import Area
from gateway.db.base import utcnow
from gateway.web.map import shade_of, shades
from gateway.wiring import Gateway
from tests.accounts.helpers import START, Console, console_for, make_user
from tests.areas.boundary_pcodes import numbered_pcodes, synthetic_pcodes
from tests.areas.synthetic_boundaries import grid, jagged_grid, write
from tests.helpers import MakeCommittee, MakeReport
from tests.web.test_console_overview import known_reports

# All the area's communes on one map, in what a 2G connection brings in a few seconds.
MAP_BUDGET = 60_000


@pytest.fixture
async def console(gateway: Gateway) -> AsyncIterator[Console]:
    async with console_for(gateway) as made:
        yield made


@pytest.fixture
async def pcodes(gateway: Gateway) -> AsyncIterator[dict[str, int]]:
    async with synthetic_pcodes(gateway) as ids:
        yield ids


async def load(gateway: Gateway, path: Path) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await import_boundaries(db, read_boundaries(path, 3), 3, utcnow())


def the_map(html: str) -> str:
    found = re.search(r'<svg class="map".*?</svg>', html, re.S)
    assert found, "no map on the page"
    return found.group(0)


def communes_drawn(svg: str) -> dict[str, str]:
    """{tooltip: the shade or the link} for each commune drawn."""
    out = {}
    for link, title, css in re.findall(r'<a href="([^"]+)"><title>([^<]+)</title><path class="(q\d)"', svg):
        out[title] = f"{css} {link}"
    for css, title in re.findall(r'<path class="(qx)" d="[^"]+"><title>([^<]+)</title>', svg):
        out[title] = css
    return out


async def test_before_any_import_the_page_says_how_to_get_the_outlines(
    gateway: Gateway, console: Console, make_report: MakeReport
) -> None:
    await known_reports(gateway, make_report, START)
    await make_user(gateway)
    await console.sign_in()
    text = (await console.client.get("/overview")).text
    assert 'class="map"' not in text
    assert "limites administratives des communes importées" in text
    assert "OCHA COD-AB du Mali (cod-ab-mli) et du Burkina Faso (cod-ab-bfa)" in text
    assert "gateway areas import-boundaries" in text
    assert re.search(r"<td>Zégoua</td><td>[^<]+</td><td class=\"n\">3</td>", text)  # the table, as before


async def test_an_organiser_sees_every_commune_shaded_and_linked(
    gateway: Gateway, console: Console, make_report: MakeReport, pcodes: dict[str, int], tmp_path: Path
) -> None:
    await known_reports(gateway, make_report, START)
    await load(
        gateway,
        write(tmp_path / "b.geojson", grid({"SYN01": "Zégoua", "SYN02": "Banfora", "SYN03": "Finkolo"})),
    )
    await make_user(gateway)
    await console.sign_in()
    text = (await console.client.get("/overview")).text
    drawn = communes_drawn(the_map(text))
    zegoua, banfora, finkolo = pcodes["SYN01"], pcodes["SYN02"], pcodes["SYN03"]
    # The overview's own counts over its 12 weeks: Zégoua 3, Banfora 1 (its older one is out).
    assert drawn == {
        "Zégoua (Kadiolo) : 3 signalement(s)": f"q4 /reports?area={zegoua}&amp;from=2026-09-21",
        "Banfora (Comoé) : 1 signalement(s)": f"q2 /reports?area={banfora}&amp;from=2026-09-21",
        "Finkolo (Sikasso) : 0 signalement(s)": f"q0 /reports?area={finkolo}&amp;from=2026-09-21",
    }
    assert "1 signalement(s) sans commune ne figurent pas sur la carte." in text
    assert re.search(r"commune\(s\) sans limites importées, absentes de la carte : [^<]+, …", text)
    assert "hors de votre périmètre" not in text
    # The link opens the inbox on that commune, with the same reports the tooltip counted.
    inbox = (await console.client.get(f"/reports?area={zegoua}&from=2026-09-21")).text
    assert inbox.count('href="/reports/') >= 3


async def test_a_committee_member_sees_only_the_committee_s_communes_shaded(
    gateway: Gateway,
    console: Console,
    make_report: MakeReport,
    make_committee: MakeCommittee,
    pcodes: dict[str, int],
    tmp_path: Path,
) -> None:
    await known_reports(gateway, make_report, START)
    # Zégoua's neighbour on the synthetic grid is Banfora: in the frame, drawn grey, never counted.
    await load(gateway, write(tmp_path / "b.geojson", grid({"SYN01": "Zégoua", "SYN02": "Banfora"})))
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [])
    await make_user(
        gateway, "maire@example.org", name="Moussa Koné", role="committee", committee_id=committee.id
    )
    await console.sign_in("maire@example.org")
    text = (await console.client.get("/overview")).text
    drawn = communes_drawn(the_map(text))
    assert drawn == {
        "Zégoua (Kadiolo) : 3 signalement(s)": f"q4 /reports?area={pcodes['SYN01']}&amp;from=2026-09-21",
        "Banfora (Comoé) : hors de votre périmètre": "qx",
    }
    assert f"area={pcodes['SYN02']}" not in text
    assert "sans commune" not in text  # a committee never sees placeless reports
    assert "gateway areas import" not in text


async def test_a_committee_whose_communes_have_no_outline(
    gateway: Gateway, console: Console, make_committee: MakeCommittee, pcodes: dict[str, int], tmp_path: Path
) -> None:
    await load(gateway, write(tmp_path / "b.geojson", grid({"SYN02": "Banfora"})))
    committee = await make_committee("Comité Zégoua", ["Zégoua"], [])
    await make_user(
        gateway, "maire@example.org", name="Moussa Koné", role="committee", committee_id=committee.id
    )
    await console.sign_in("maire@example.org")
    text = (await console.client.get("/overview")).text
    assert 'class="map"' not in text
    assert "Aucune commune de votre comité n&#39;a encore de limites importées" in text
    assert "Banfora" not in text


async def test_the_whole_area_s_map_fits_its_budget(
    gateway: Gateway,
    console: Console,
    make_report: MakeReport,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with numbered_pcodes(gateway) as codes:
        # Every seeded commune as a detailed synthetic square (600 points), 12 to a row.
        await load(gateway, write(tmp_path / "all.geojson", jagged_grid([c for c, _ in codes], columns=12)))
        async with gateway.sessionmaker() as db:
            names = dict((await db.execute(select(Area.id, Area.name).where(Area.level == 3))).all())
        unique = [area_id for _, area_id in codes if list(names.values()).count(names[area_id]) == 1]
        for i, area_id in enumerate(unique[:40]):
            for _ in range(i % 5):
                await make_report(names[area_id], at=START)
        await make_user(gateway)
        await console.sign_in()
        html = (await console.client.get("/overview")).text
        svg = the_map(html)
        drawn = communes_drawn(svg)
        with capsys.disabled():  # the figure the docs quote
            sys.stderr.write(
                f"\nmap: {len(codes)} communes, SVG {len(svg.encode())} B, page {len(html.encode())} B\n"
            )
    assert len(drawn) == len(codes) > 100
    assert len(svg.encode()) < MAP_BUDGET


@pytest.mark.parametrize(
    ("top", "legend"),
    [
        (0, [("q0", 0, 0)]),
        (1, [("q0", 0, 0), ("q4", 1, 1)]),
        (3, [("q0", 0, 0), ("q2", 1, 1), ("q3", 2, 2), ("q4", 3, 3)]),
        (10, [("q0", 0, 0), ("q1", 1, 3), ("q2", 4, 5), ("q3", 6, 8), ("q4", 9, 10)]),
    ],
)
def test_the_legend_s_steps(top: int, legend: list[tuple[str, int, int]]) -> None:
    steps = shades(top)
    assert [(s.css, s.low, s.high) for s in steps] == legend
    assert shade_of(steps, top) == legend[-1][0]
