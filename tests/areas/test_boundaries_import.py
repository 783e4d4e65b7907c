"""Importing outlines into the database: by P-code only, names only warned about, unknown features
and areas without outline reported, re-import replacing, dry runs, one transaction, the audit.
Geometry is synthetic (tests/areas/synthetic_boundaries.py), P-codes made up (boundary_pcodes.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.areas.boundaries import NothingMatched, import_boundaries, load_outlines
from gateway.areas.boundaries_files import read_boundaries
from gateway.areas.boundaries_models import AreaBoundary
from gateway.audit.models import AuditEvent
from gateway.db.base import utcnow
from gateway.wiring import Gateway
from tests.areas.boundary_pcodes import synthetic_pcodes
from tests.areas.synthetic_boundaries import collection, feature, grid, jagged_grid, polygon, square, write
from tests.cli.runner import invoke_in_thread
from tests.security.logs import restored_logging


@pytest.fixture
async def pcodes(gateway: Gateway) -> AsyncIterator[dict[str, int]]:
    async with synthetic_pcodes(gateway) as ids:
        yield ids


@pytest.fixture
def env(gateway: Gateway) -> Iterator[dict[str, str]]:
    with restored_logging():
        yield {
            "GATEWAY_DATABASE_URL": gateway.settings.database_url,
            "GATEWAY_SECRET_KEY": gateway.settings.require_secret_key(),
            "GATEWAY_LOG_LEVEL": "WARNING",
        }


async def _rows(gateway: Gateway) -> dict[int, AreaBoundary]:
    async with gateway.sessionmaker() as db:
        return {b.area_id: b for b in (await db.execute(select(AreaBoundary))).scalars()}


async def test_matched_by_pcode_with_unknowns_and_missing_reported(
    gateway: Gateway, pcodes: dict[str, int], tmp_path: Path
) -> None:
    # SYN01 named as we do, SYN02 under another name (still matched, with a warning), SYN99 unknown;
    # SYN03 (Finkolo) is not in the file.
    path = write(
        tmp_path / "b.geojson", grid({"SYN01": "Zégoua", "SYN02": "Banfora Ville", "SYN99": "Nulle part"})
    )
    async with gateway.sessionmaker() as db, db.begin():
        result = await import_boundaries(db, read_boundaries(path, 3), 3, utcnow())
    assert result.matched == 2
    assert [(u.pcode, u.name) for u in result.unknown] == [("SYN99", "Nulle part")]
    assert [(u.pcode, u.name) for u in result.missing] == [("SYN03", "Finkolo")]
    assert "Zégoua" not in result.without_pcode
    assert len(result.without_pcode) > 100
    assert result.warnings == [
        "SYN02: the file calls it 'Banfora Ville', the area is 'Banfora' "
        "(matched by P-code; check it is the same place)"
    ]
    rows = await _rows(gateway)
    assert set(rows) == {pcodes["SYN01"], pcodes["SYN02"]}
    zegoua = rows[pcodes["SYN01"]]
    assert (zegoua.min_lon, zegoua.min_lat, zegoua.max_lon, zegoua.max_lat) == (0, 0, 0.2, 0.2)
    assert (zegoua.source, zegoua.level, zegoua.vertices, zegoua.source_vertices) == ("b.geojson", 3, 5, 5)
    assert json.loads(zegoua.geometry) == {"type": "MultiPolygon", "coordinates": [[square(0, 0)]]}


async def test_reimport_replaces_within_the_file_s_countries_and_a_dry_run_changes_nothing(
    gateway: Gateway, pcodes: dict[str, int], tmp_path: Path
) -> None:
    # Zégoua (SYN01) and Finkolo (SYN03) are in Mali, Banfora (SYN02) in Burkina Faso.
    first = write(tmp_path / "one.geojson", grid({"SYN01": "Zégoua", "SYN02": "Banfora"}))
    second = write(tmp_path / "two.geojson", grid({"SYN03": "Finkolo", "SYN01": "Zégoua"}))
    third = write(tmp_path / "three.geojson", grid({"SYN01": "Zégoua"}))
    for _ in range(2):  # the same file twice: the same rows
        async with gateway.sessionmaker() as db, db.begin():
            await import_boundaries(db, read_boundaries(first, 3), 3, utcnow())
    assert set(await _rows(gateway)) == {pcodes["SYN01"], pcodes["SYN02"]}
    async with gateway.sessionmaker() as db, db.begin():
        dry = await import_boundaries(db, read_boundaries(second, 3), 3, utcnow(), dry_run=True)
    assert (dry.matched, dry.replaced, dry.countries) == (2, 1, ["ML"])
    assert {r.source for r in (await _rows(gateway)).values()} == {"one.geojson"}
    async with gateway.sessionmaker() as db, db.begin():
        done = await import_boundaries(db, read_boundaries(second, 3), 3, utcnow())
    assert done.replaced == 1
    rows = await _rows(gateway)
    assert {i: r.source for i, r in rows.items()} == {
        pcodes["SYN01"]: "two.geojson",
        pcodes["SYN02"]: "one.geojson",  # Burkina Faso's outline stays: the file is Mali's
        pcodes["SYN03"]: "two.geojson",
    }
    assert rows[pcodes["SYN01"]].min_lon == 0.2  # Zégoua's is the new one
    async with gateway.sessionmaker() as db, db.begin():
        last = await import_boundaries(db, read_boundaries(third, 3), 3, utcnow())
    assert [u.name for u in last.missing] == ["Finkolo"]
    assert set(await _rows(gateway)) == {pcodes["SYN01"], pcodes["SYN02"]}  # Mali's now only Zégoua


async def test_nothing_matched_changes_nothing(
    gateway: Gateway, pcodes: dict[str, int], tmp_path: Path
) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        await import_boundaries(
            db, read_boundaries(write(tmp_path / "a.geojson", grid({"SYN01": "Z"})), 3), 3, utcnow()
        )
    other = write(tmp_path / "b.geojson", grid({"SYNX1": "A", "SYNX2": "B"}))
    async with gateway.sessionmaker() as db, db.begin():
        with pytest.raises(
            NothingMatched,
            match=r"no feature's P-code is one of our 3 areas of level 3 \(the file's: SYNX1, SYNX2",
        ):
            await import_boundaries(db, read_boundaries(other, 3), 3, utcnow())
    assert set(await _rows(gateway)) == {pcodes["SYN01"]}


async def test_without_any_pcode_it_says_to_load_them_first(gateway: Gateway, tmp_path: Path) -> None:
    path = write(tmp_path / "b.geojson", grid({"SYN01": "Zégoua"}))
    async with gateway.sessionmaker() as db, db.begin():
        with pytest.raises(NothingMatched, match=r"gateway areas import FILE.csv"):
            await import_boundaries(db, read_boundaries(path, 3), 3, utcnow())


async def test_a_detailed_outline_is_simplified_and_sizes_recorded(
    gateway: Gateway, pcodes: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path / "b.geojson", jagged_grid(["SYN01"], columns=1, points_per_edge=300))
    async with gateway.sessionmaker() as db, db.begin():
        result = await import_boundaries(db, read_boundaries(path, 3), 3, utcnow())
    assert result.source_vertices == 1201
    assert 4 <= result.vertices < result.source_vertices / 3
    (outline,) = list(await _load(gateway))
    ring = outline.shape[0][0]
    assert ring[0] == ring[-1]
    assert len(ring) == result.vertices


async def _load(gateway: Gateway) -> list:  # type: ignore[type-arg]
    async with gateway.sessionmaker() as db:
        return await load_outlines(db, 3)


async def test_parts_of_one_pcode_are_joined(
    gateway: Gateway, pcodes: dict[str, int], tmp_path: Path
) -> None:
    path = write(
        tmp_path / "b.geojson",
        collection(
            feature("SYN01", "Zégoua", polygon(square(0, 0))),
            feature("SYN01", "Zégoua", polygon(square(2, 0))),
        ),
    )
    async with gateway.sessionmaker() as db, db.begin():
        result = await import_boundaries(db, read_boundaries(path, 3), 3, utcnow())
    assert result.warnings == ["SYN01: in the file more than once; its parts are joined"]
    (outline,) = await _load(gateway)
    assert len(outline.shape) == 2
    assert outline.bounds == (0, 0, 0.6, 0.2)


async def test_the_command_reports_audits_and_refuses_a_malformed_file(
    gateway: Gateway, pcodes: dict[str, int], env: dict[str, str], tmp_path: Path
) -> None:
    path = write(tmp_path / "b.geojson", grid({"SYN01": "Zégoua", "SYN99": "Nulle part"}))
    dry = await invoke_in_thread(env, "areas", "import-boundaries", str(path), "--dry-run")
    assert dry.code == 0, dry.err
    assert "would store 1 outline(s) of level 3" in dry.err
    assert "dry run: nothing changed" in dry.err
    assert await _rows(gateway) == {}
    ran = await invoke_in_thread(env, "areas", "import-boundaries", str(path), "--level", "adm3")
    assert ran.code == 0, ran.err
    assert "in the file, no area has this P-code (1):\n  SYN99 Nulle part" in ran.err
    assert "areas with a P-code the file lacks (1):\n  SYN03 Finkolo" in ran.err  # Mali's only
    assert "boundaries: stored 1 outline(s) of level 3 (ML), replacing 0" in ran.err
    assert ran.out == ""
    async with gateway.sessionmaker() as db:
        audit = (
            await db.execute(select(AuditEvent).where(AuditEvent.action == "areas.import_boundaries"))
        ).scalar_one()
    assert audit.rows == 1
    assert audit.detail.startswith("b.geojson level 3: 1 matched, 1 unknown, 1 missing")

    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    bad = await invoke_in_thread(env, "areas", "import-boundaries", str(broken))
    assert (bad.code, bad.err.strip()) == (1, "broken.geojson: not JSON (line 1, column 44: Expecting value)")
    assert "Traceback" not in bad.err
    unknown_level = await invoke_in_thread(env, "areas", "import-boundaries", str(path), "--level", "village")
    assert unknown_level.code == 2
    assert "--level: unknown level" in unknown_level.err
    missing = await invoke_in_thread(env, "areas", "import-boundaries", str(tmp_path / "none.zip"))
    assert missing.code == 2
    assert "no such file" in missing.err
    assert len(await _rows(gateway)) == 1
