"""`gateway areas list`: what places the gateway knows, found as an organiser names them."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.cli.runner import invoke


def test_communes_under_a_cercle_as_json(env: dict[str, str]) -> None:
    ran = invoke(env, "areas", "list", "--under", "cercle:kadiolo", "--format", "json")
    assert ran.code == 0, ran.err
    communes = json.loads(ran.out)
    assert {c["parent"] for c in communes} == {"Kadiolo"}
    assert {c["country"] for c in communes} == {"ML"}
    zegoua = next(c for c in communes if c["name"] == "Zégoua")
    assert zegoua == zegoua | {"level": 3, "kind": "commune", "aliases": [], "pcode": None}
    assert f"{len(communes)} area(s)" in ran.err


def test_a_table_for_people_in_tree_order(env: dict[str, str]) -> None:
    ran = invoke(env, "areas", "list", "--country", "Burkina Faso", "--level", "province")
    assert ran.code == 0, ran.err
    header, *rows = ran.out.splitlines()
    assert header.split() == ["country", "level", "name", "parent", "aliases", "P-code"]
    names = [row.split()[3] for row in rows]
    assert sorted(names) == ["Comoé", "Houet", "Kénédougou", "Léraba"]
    assert names == ["Comoé", "Léraba", "Houet", "Kénédougou"]  # Cascades, then Hauts-Bassins
    assert all(row.startswith("BF      2 province") for row in rows)


def test_aliases_in_csv(env: dict[str, str]) -> None:
    ran = invoke(env, "areas", "list", "--under", "houet", "--level", "3", "--format", "csv")
    assert ran.code == 0, ran.err
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(ran.out))}
    assert rows["Bobo-Dioulasso"]["aliases"] == "alt:Bobo;alt:Sya"
    assert rows["Bobo-Dioulasso"]["parent"] == "Houet"
    assert rows["Bobo-Dioulasso"]["pcode"] == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--under", "Kourouma"], "--under: area 'Kourouma' is ambiguous: write one of commune:Kourouma, "),
        (["--under", "Atlantis"], "--under: unknown area 'Atlantis'"),
        (["--level", "village"], "--level: unknown level 'village'"),
        (["--country", "GH"], "--country: unknown country 'GH'"),
        (["--format", "xml"], "xml"),
    ],
)
def test_bad_filters_get_a_precise_error(env: dict[str, str], args: list[str], message: str) -> None:
    ran = invoke(env, "areas", "list", *args)
    assert ran.code == 2
    assert message in ran.err
    assert ran.out == ""
