"""Reading OCHA COD-AB admin boundaries: GeoJSON, or a shapefile plain or zipped as HDX ships it
(`mli_adm_ab_shp.zip` holds one layer per level: `mli_admbnda_adm3_….shp` is the communes).

Only what the map needs is kept: each feature's P-code and name at the level asked for, and its
outline. Every problem is a BoundaryFileError naming the file, the feature and what is wrong."""

from __future__ import annotations

import io
import json
import re
import struct
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import shapefile

from gateway.areas.boundaries_geometry import GeometryError, MultiPolygon, read_geometry

LEVELS = (1, 2, 3)
GEOJSON_SUFFIXES = (".geojson", ".json")
# A legacy GeoJSON "crs" member may only say what RFC 7946 means anyway: longitude/latitude, WGS 84.
GEOGRAPHIC_CRS = re.compile(r"CRS84|EPSG::?4326", re.IGNORECASE)


class BoundaryFileError(ValueError):
    """The file cannot be read as admin boundaries; the message says where and why."""


@dataclass(frozen=True)
class Feature:
    number: int  # the feature's place in the file, from 1, for messages
    pcode: str
    name: str
    shape: MultiPolygon


@dataclass
class BoundaryFile:
    source: str  # the file's name (and the layer's, inside a zip), as recorded with each outline
    features: list[Feature] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_boundaries(path: Path, level: int) -> BoundaryFile:
    """The features of `path` (GeoJSON, .shp with its .dbf and .shx beside it, or a .zip of
    either) at admin level `level` (1 region, 2 cercle/province, 3 commune)."""
    if level not in LEVELS:
        raise BoundaryFileError(f"level {level}: COD-AB levels here are 1, 2 and 3")
    suffix = path.suffix.lower()
    try:
        if suffix == ".zip":
            return _read_zip(path, level)
        if suffix == ".shp":
            with (
                path.open("rb") as shp,
                _sibling(path, ".shx") as shx,
                _sibling(path, ".dbf") as dbf,
            ):
                prj = path.with_suffix(".prj")
                cpg = path.with_suffix(".cpg")
                return _read_shapefile(
                    path.name,
                    level,
                    shp,
                    shx,
                    dbf,
                    prj.read_text(errors="replace") if prj.is_file() else None,
                    cpg.read_text(errors="replace") if cpg.is_file() else None,
                )
        if suffix in GEOJSON_SUFFIXES:
            return _read_geojson(path.name, level, path.read_bytes())
    except OSError as exc:
        raise BoundaryFileError(f"{path.name}: {exc.strerror or exc}") from None
    raise BoundaryFileError(
        f"{path.name}: not a boundaries file this command reads (.geojson, .json, .shp or .zip)"
    )


def _sibling(path: Path, suffix: str) -> io.BufferedReader:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate.open("rb")
    raise BoundaryFileError(f"{path.name}: its {suffix} file is missing (a shapefile is .shp, .shx and .dbf)")


def _read_zip(path: Path, level: int) -> BoundaryFile:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise BoundaryFileError(f"{path.name}: not a zip archive") from None
    with archive:
        names = {PurePosixPath(n).name.lower(): n for n in archive.namelist() if not n.endswith("/")}
        layers = [n for n in names if n.endswith((".shp", *GEOJSON_SUFFIXES))]
        chosen = _choose_layer(path.name, layers, level)
        source = f"{path.name}:{names[chosen]}"
        if chosen.endswith(GEOJSON_SUFFIXES):
            return _read_geojson(source, level, archive.read(names[chosen]))
        stem = chosen[: -len(".shp")]

        def part(suffix: str, required: bool = True) -> bytes | None:
            member = names.get(stem + suffix)
            if member is None:
                if required:
                    raise BoundaryFileError(f"{source}: its {suffix} file is not in the archive")
                return None
            return archive.read(member)

        prj, cpg = part(".prj", False), part(".cpg", False)
        return _read_shapefile(
            source,
            level,
            io.BytesIO(part(".shp") or b""),
            io.BytesIO(part(".shx") or b""),
            io.BytesIO(part(".dbf") or b""),
            prj.decode(errors="replace") if prj else None,
            cpg.decode(errors="replace") if cpg else None,
        )


def _choose_layer(archive: str, layers: list[str], level: int) -> str:
    """The level's polygons: COD-AB names them `…_admbnda_adm3_…` (admbndl are lines, admbndp
    points); an archive with a single layer is that layer."""
    if not layers:
        raise BoundaryFileError(f"{archive}: no .shp, .geojson or .json inside")
    if len(layers) == 1:
        return layers[0]
    for pattern in (rf"admbnda_adm{level}(?![0-9])", rf"adm{level}(?![0-9])"):
        found = sorted(n for n in layers if re.search(pattern, n))
        if len(found) == 1:
            return found[0]
        if found:
            raise BoundaryFileError(
                f"{archive}: several layers for level {level} ({', '.join(found)}): unzip it and give one"
            )
    raise BoundaryFileError(
        f"{archive}: no layer for level {level} among {', '.join(sorted(layers))} "
        f"(COD-AB names it …_admbnda_adm{level}_…)"
    )


def _read_geojson(source: str, level: int, data: bytes) -> BoundaryFile:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BoundaryFileError(f"{source}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BoundaryFileError(
            f"{source}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(document, dict):
        raise BoundaryFileError(f"{source}: not a GeoJSON object")
    if document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    if document.get("type") != "FeatureCollection" or not isinstance(document.get("features"), list):
        raise BoundaryFileError(f"{source}: not a GeoJSON FeatureCollection")
    _check_crs(source, document.get("crs"))
    rows: list[tuple[dict[str, Any], object]] = []
    for number, feature in enumerate(document["features"], start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise BoundaryFileError(f"{source}: feature {number} is not a GeoJSON Feature")
        properties = feature.get("properties")
        rows.append((properties if isinstance(properties, dict) else {}, feature.get("geometry")))
    return _features(source, level, rows)


def _check_crs(source: str, crs: object) -> None:
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str) or not GEOGRAPHIC_CRS.search(name):
        raise BoundaryFileError(
            f"{source}: coordinate system {name or crs!r} is not longitude/latitude (WGS 84, EPSG:4326); "
            "use the COD-AB file as HDX ships it"
        )


def _read_shapefile(
    source: str,
    level: int,
    shp: io.BufferedIOBase | io.BufferedReader,
    shx: io.BufferedIOBase | io.BufferedReader,
    dbf: io.BufferedIOBase | io.BufferedReader,
    prj: str | None,
    cpg: str | None,
) -> BoundaryFile:
    if prj is not None and not prj.lstrip().upper().startswith("GEOGCS"):
        raise BoundaryFileError(
            f"{source}: its .prj describes a projected coordinate system, not longitude/latitude "
            "(WGS 84, EPSG:4326); use the COD-AB file as HDX ships it"
        )
    encoding = (cpg or "").strip() or "utf-8"
    # pyshp only warns of a header that does not match the file: here that is a broken file.
    with warnings.catch_warnings():
        warnings.simplefilter("error", shapefile.PossiblyCorruptFileHeader)
        try:
            reader = shapefile.Reader(shp=shp, shx=shx, dbf=dbf, encoding=encoding)
        except (shapefile.ShapefileException, shapefile.PossiblyCorruptFileHeader) as exc:
            raise BoundaryFileError(f"{source}: not a readable shapefile ({exc})") from None
        except (LookupError, OSError, ValueError, struct.error) as exc:
            raise BoundaryFileError(f"{source}: not a readable shapefile ({exc})") from None
        return _shapefile_features(source, level, reader, encoding)


def _shapefile_features(source: str, level: int, reader: shapefile.Reader, encoding: str) -> BoundaryFile:
    with reader:
        if reader.shapeType not in (shapefile.POLYGON, shapefile.POLYGONZ, shapefile.POLYGONM):
            raise BoundaryFileError(
                f"{source}: holds {reader.shapeTypeName} shapes; boundaries are polygons (admbnda layer)"
            )
        rows: list[tuple[dict[str, Any], object]] = []
        try:
            for item in reader.iterShapeRecords():
                geometry = item.shape.__geo_interface__ if item.shape.shapeType != shapefile.NULL else None
                rows.append((item.record.as_dict(), geometry))
        except UnicodeDecodeError:
            raise BoundaryFileError(
                f"{source}: record {len(rows) + 1} is not {encoding} text (a .cpg file names the encoding)"
            ) from None
        except (shapefile.ShapefileException, struct.error, ValueError) as exc:
            raise BoundaryFileError(f"{source}: shape {len(rows) + 1} cannot be read ({exc})") from None
    return _features(source, level, rows)


def _features(source: str, level: int, rows: list[tuple[dict[str, Any], object]]) -> BoundaryFile:
    """Features from (properties, geometry) pairs: P-code and name of `level`, the outline checked."""
    out = BoundaryFile(source)
    if not rows:
        raise BoundaryFileError(f"{source}: no features")
    pcode_field = _pcode_field(level, rows)
    if pcode_field is None:
        seen = sorted({k for properties, _ in rows for k in _upper(properties) if PCODE_LIKE.search(k)})
        raise BoundaryFileError(
            f"{source}: no ADM{level}_PCODE (or admin{level}Pcode) property: is this the level {level} "
            f"layer? (P-code properties found: {', '.join(seen) or 'none'})"
        )
    older_schema = pcode_field != f"ADM{level}_PCODE"
    name_fields = tuple(f.format(n=level) for f in (OLDER_NAME_FIELDS if older_schema else NAME_FIELDS))
    for number, (properties, geometry) in enumerate(rows, start=1):
        values = _upper(properties)
        pcode = str(values.get(pcode_field) or "").strip().upper()
        name = next((str(values[k]).strip() for k in name_fields if values.get(k)), "")
        if not pcode:
            out.warnings.append(f"feature {number} ({name or 'no name'}): no {pcode_field}, skipped")
            continue
        try:
            shape = read_geometry(geometry)
        except GeometryError as exc:
            raise BoundaryFileError(f"{source}: feature {number} ({pcode} {name}): {exc}") from None
        out.features.append(Feature(number, pcode, name, shape))
    return out


# COD-AB's two schemas: ADM3_PCODE, ADM3_FR… (since about 2019), and the older admin3Pcode,
# admin3Name… that some countries' files still use, cut to admin3Pcod, admin3RefN in a shapefile
# (a .dbf field name holds 10 characters). Names in French first, where a file has several.
PCODE_FIELDS = ("ADM{n}_PCODE", "ADMIN{n}PCODE", "ADMIN{n}PCOD")
NAME_FIELDS = ("ADM{n}_FR", "ADM{n}_NAME", "ADM{n}_EN", "ADM{n}_REF")
OLDER_NAME_FIELDS = ("ADMIN{n}NAME_FR", "ADMIN{n}NAME", "ADMIN{n}REFNAME", "ADMIN{n}REFN", "ADMIN{n}NAME_EN")
PCODE_LIKE = re.compile(r"PCODE?$")


def _pcode_field(level: int, rows: list[tuple[dict[str, Any], object]]) -> str | None:
    """The level's P-code property as the file spells it (upper-cased), None if it has none."""
    present = {k for properties, _ in rows for k in _upper(properties)}
    return next((f.format(n=level) for f in PCODE_FIELDS if f.format(n=level) in present), None)


def _upper(properties: dict[str, Any]) -> dict[str, Any]:
    # COD-AB shapefiles spell fields ADM3_PCODE, some GeoJSON exports adm3_pcode.
    return {str(k).upper(): v for k, v in properties.items()}
