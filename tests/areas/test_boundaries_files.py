"""Reading COD-AB boundary files: GeoJSON (Polygon, MultiPolygon, holes), shapefiles plain and
zipped, and every malformed file as one precise error. All geometry is synthetic (see
tests/areas/synthetic_boundaries.py)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import shapefile

from gateway.areas.boundaries_files import BoundaryFileError, read_boundaries
from tests.areas.synthetic_boundaries import collection, feature, polygon, square, write

HOLE = [[0.05, 0.05], [0.05, 0.15], [0.15, 0.15], [0.15, 0.05], [0.05, 0.05]]


@pytest.mark.parametrize(
    ("geometry", "polygons", "rings"),
    [
        (polygon(square(0, 0)), 1, [1]),
        (polygon(square(0, 0), HOLE), 1, [2]),
        ({"type": "MultiPolygon", "coordinates": [[square(0, 0), HOLE], [square(3, 3)]]}, 2, [2, 1]),
    ],
    ids=["polygon", "polygon-with-hole", "multipolygon"],
)
def test_geojson_shapes(tmp_path: Path, geometry: dict[str, Any], polygons: int, rings: list[int]) -> None:
    path = write(tmp_path / "b.geojson", collection(feature("SYN01", "Une", geometry)))
    loaded = read_boundaries(path, 3)
    (only,) = loaded.features
    assert (only.pcode, only.name, only.number) == ("SYN01", "Une", 1)
    assert len(only.shape) == polygons
    assert [len(p) for p in only.shape] == rings
    assert loaded.source == "b.geojson"


def test_lowercase_properties_and_a_single_feature(tmp_path: Path) -> None:
    one = {"type": "Feature", "properties": {"adm3_pcode": "syn01", "adm3_name": "Une"}}
    one["geometry"] = polygon(square(0, 0))
    loaded = read_boundaries(write(tmp_path / "b.json", one), 3)
    assert [(f.pcode, f.name) for f in loaded.features] == [("SYN01", "Une")]


def test_a_feature_without_pcode_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path / "b.geojson",
        collection(
            feature("SYN01", "Une", polygon(square(0, 0))), feature("", "Deux", polygon(square(1, 0)))
        ),
    )
    loaded = read_boundaries(path, 3)
    assert [f.pcode for f in loaded.features] == ["SYN01"]
    assert loaded.warnings == ["feature 2 (Deux): no ADM3_PCODE, skipped"]


def test_the_older_cod_ab_schema_in_geojson(tmp_path: Path) -> None:
    """COD-AB files made before its ADM3_PCODE schema say admin3Pcode, admin3Name_fr…"""
    old = {
        "type": "Feature",
        "properties": {
            "admin3Pcode": "syn01",
            "admin3Name_fr": "Une",
            "admin3Name": "One",
            "admin2Pcode": "SY1",
        },
        "geometry": polygon(square(0, 0)),
    }
    loaded = read_boundaries(write(tmp_path / "b.geojson", collection(old)), 3)
    assert [(f.pcode, f.name) for f in loaded.features] == [("SYN01", "Une")]


def test_a_layer_without_the_levels_pcode_names_what_it_has(tmp_path: Path) -> None:
    wrong = feature("SYN1", "Une", polygon(square(0, 0)), level=2)
    wrong["properties"]["admin1Pcod"] = "SY"
    with pytest.raises(BoundaryFileError, match=r"found: ADM0_PCODE, ADM2_PCODE, ADMIN1PCOD\)"):
        read_boundaries(write(tmp_path / "b.geojson", collection(wrong)), 3)


def _bad(tmp_path: Path, document: object, name: str = "b.geojson") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


OPEN_RING = [[0, 0], [1, 0], [1, 1], [0, 1]]
MALFORMED: list[tuple[str, object, str]] = [
    ("not-json", "{oops", r"b.geojson: not JSON \(line 1"),
    ("feature-without-properties", {"type": "Feature"}, r"no ADM3_PCODE \(or admin3Pcode\) property"),
    ("list", [1, 2], "not a GeoJSON object"),
    ("no-features", {"type": "FeatureCollection", "features": []}, "no features"),
    ("point", collection(feature("SYN01", "Une", {"type": "Point", "coordinates": [0, 0]})), "'Point'"),
    ("null-geometry", collection(feature("SYN01", "Une", None)), r"feature 1 \(SYN01 Une\): no geometry"),
    ("open-ring", collection(feature("SYN01", "Une", polygon(OPEN_RING))), "ring 1: not closed"),
    ("short-ring", collection(feature("SYN01", "U", polygon([[0, 0], [1, 1], [0, 0]]))), "needs at least 4"),
    ("text-coordinate", collection(feature("SYN01", "U", polygon([[0, "a"]] * 4))), "position 1: not"),
    (
        "metres",
        collection(feature("SYN01", "U", polygon([[500000, 1200000]] * 4))),
        "not longitude/latitude in degrees",
    ),
    (
        "projected-crs",
        {
            **collection(feature("SYN01", "U", polygon(square(0, 0)))),
            "crs": {"properties": {"name": "EPSG:32630"}},
        },
        "EPSG:32630",
    ),
    (
        "other-level",
        collection(feature("SYN01", "Une", polygon(square(0, 0)), level=2)),
        r"no ADM3_PCODE \(or admin3Pcode\) property: is this the level 3 layer\? "
        r"\(P-code properties found: ADM0_PCODE, ADM2_PCODE\)",
    ),
]


@pytest.mark.parametrize(("document", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_geojson(tmp_path: Path, document: object, message: str) -> None:
    with pytest.raises(BoundaryFileError, match=message):
        read_boundaries(_bad(tmp_path, document), 3)


def test_legacy_crs84_is_accepted(tmp_path: Path) -> None:
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    document = {**collection(feature("SYN01", "U", polygon(square(0, 0)))), "crs": crs}
    assert len(read_boundaries(_bad(tmp_path, document), 3).features) == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("b.kml", "not a boundaries file"),
        ("b.zip", "not a zip archive"),
        ("b.shp", "its .shx file is missing"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(BoundaryFileError, match=message):
        read_boundaries(_bad(tmp_path, "x", name), 3)


def test_levels_outside_cod_ab(tmp_path: Path) -> None:
    with pytest.raises(BoundaryFileError, match="levels here are 1, 2 and 3"):
        read_boundaries(_bad(tmp_path, "{}"), 4)


def _shapefile(stem: Path, level: int = 3, older_schema: bool = False) -> Path:
    """A synthetic polygon layer: a square with a hole, and a two-part commune. In COD-AB's older
    schema as a shapefile holds it: admin3Pcode and admin3RefName cut to 10 characters."""
    with shapefile.Writer(target=str(stem), shapeType=shapefile.POLYGON, encoding="utf-8") as w:
        w.field(f"admin{level}Pcod" if older_schema else f"ADM{level}_PCODE", "C", 20)
        w.field(f"admin{level}RefN" if older_schema else f"ADM{level}_FR", "C", 50)
        # Shapefiles run outer rings clockwise and holes counter-clockwise.
        w.poly([list(reversed(square(0, 0))), list(reversed(HOLE))])
        w.record("SYN01", "Ségou-Synthé")
        w.poly([list(reversed(square(2, 0))), list(reversed(square(4, 0)))])
        w.record("SYN02", "Deux")
    return stem.with_suffix(".shp")


def test_plain_shapefile(tmp_path: Path) -> None:
    loaded = read_boundaries(_shapefile(tmp_path / "syn_admbnda_adm3"), 3)
    first, second = loaded.features
    assert (first.pcode, first.name, [len(p) for p in first.shape]) == ("SYN01", "Ségou-Synthé", [2])
    assert (second.pcode, len(second.shape)) == ("SYN02", 2)


def test_a_shapefile_in_the_older_schema(tmp_path: Path) -> None:
    loaded = read_boundaries(_shapefile(tmp_path / "syn_admbnda_adm3", older_schema=True), 3)
    assert [(f.pcode, f.name) for f in loaded.features] == [("SYN01", "Ségou-Synthé"), ("SYN02", "Deux")]


def _zip(tmp_path: Path, layers: list[str]) -> Path:
    archive = tmp_path / "syn_adm_ab_shp.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for layer in layers:
            level = int(layer[-1])
            shp = _shapefile(tmp_path / layer, level)
            for suffix in (".shp", ".shx", ".dbf"):
                z.write(shp.with_suffix(suffix), f"folder/{layer}{suffix}")
    return archive


def test_zipped_shapefiles_pick_the_level(tmp_path: Path) -> None:
    archive = _zip(tmp_path, ["syn_admbnda_adm2", "syn_admbnda_adm3"])
    communes = read_boundaries(archive, 3)
    assert communes.source == "syn_adm_ab_shp.zip:folder/syn_admbnda_adm3.shp"
    assert [f.pcode for f in communes.features] == ["SYN01", "SYN02"]
    assert read_boundaries(archive, 2).source.endswith("syn_admbnda_adm2.shp")
    with pytest.raises(BoundaryFileError, match=r"no layer for level 1 among .*admbnda_adm1"):
        read_boundaries(archive, 1)


def test_zip_missing_a_part(tmp_path: Path) -> None:
    shp = _shapefile(tmp_path / "syn_admbnda_adm3")
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(shp, shp.name)
        z.write(shp.with_suffix(".shx"), shp.with_suffix(".shx").name)
    with pytest.raises(
        BoundaryFileError, match=r"x.zip:syn_admbnda_adm3.shp: its .dbf file is not in the archive"
    ):
        read_boundaries(archive, 3)


def test_projected_shapefile_is_refused(tmp_path: Path) -> None:
    shp = _shapefile(tmp_path / "syn_admbnda_adm3")
    shp.with_suffix(".prj").write_text('PROJCS["WGS_1984_UTM_Zone_30N",GEOGCS["GCS_WGS_1984"]]')
    with pytest.raises(BoundaryFileError, match="projected coordinate system"):
        read_boundaries(shp, 3)


def test_a_points_layer_is_refused(tmp_path: Path) -> None:
    with shapefile.Writer(target=str(tmp_path / "p"), shapeType=shapefile.POINT) as w:
        w.field("ADM3_PCODE", "C", 20)
        w.point(0.1, 0.1)
        w.record("SYN01")
    with pytest.raises(BoundaryFileError, match="POINT shapes; boundaries are polygons"):
        read_boundaries(tmp_path / "p.shp", 3)


def test_a_truncated_shapefile(tmp_path: Path) -> None:
    shp = _shapefile(tmp_path / "t")
    shp.write_bytes(shp.read_bytes()[:150])
    with pytest.raises(BoundaryFileError, match="t.shp: "):
        read_boundaries(shp, 3)
