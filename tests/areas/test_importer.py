"""Area import: the bundled list, COD-AB style files, matching by P-code, name and alias."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.areas.csvfile import AreaFileError, parse_rows, read_rows
from gateway.areas.importer import import_rows, name_key
from gateway.areas.models import Area
from gateway.config import ROOT
from gateway.wiring import Gateway

SEED = ROOT / "data" / "areas" / "border_areas.csv"


def test_bundled_list_covers_the_forum_area() -> None:
    rows = read_rows(SEED)
    provinces = {(r.country, r.adm2) for r in rows}
    assert {("ML", "Sikasso"), ("ML", "Kadiolo"), ("BF", "Houet"), ("BF", "Kénédougou")} <= provinces
    assert {("BF", "Comoé"), ("BF", "Léraba")} <= provinces
    sikasso = [r.adm3 for r in rows if r.adm2 == "Sikasso"]
    assert "Finkolo" in sikasso
    assert "Finkolo Ganadougou" in sikasso  # a different commune, not a duplicate


def test_name_key() -> None:
    assert name_key("Finkolo-Ganadougou") == name_key("FINKOLO GANADOUGOU")
    assert name_key("Kénédougou") == name_key("Kenedougou")
    assert name_key("Finkolo") != name_key("Finkolo Ganadougou")


def _parse(text: str) -> list:  # type: ignore[type-arg]
    return parse_rows(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ADM1_FR,ADM2_FR\nSikasso,Kadiolo\n", "missing column"),
        ("ADM0_FR,ADM1_FR,ADM2_FR,ADM3_FR\nNiger,Tahoua,Konni,Konni\n", "cannot tell the country"),
        ("ADM0_PCODE,ADM1_FR,ADM2_FR,ADM3_FR\nML,Sikasso,,Zégoua\n", "must not be empty"),
    ],
)
def test_bad_files(text: str, message: str) -> None:
    with pytest.raises(AreaFileError, match=message):
        _parse(text)


def test_cod_ab_style_columns() -> None:
    rows = _parse(
        "ADM0_PCODE,ADM1_FR,ADM1_PCODE,ADM2_FR,ADM2_PCODE,ADM3_FR,ADM3_PCODE\nML,Sikasso,ML05,Kadiolo,ML0502,Zégoua,ML050209\n"
    )
    assert rows[0].adm3_pcode == "ML050209"
    assert rows[0].adm2_kind == "cercle"


def test_the_older_cod_ab_columns() -> None:
    """admin1Pcode, admin1Name… (COD-AB's schema before ADM1_PCODE, ADM1_FR…); the French name
    is taken where a file has one, and the current columns win where a file has both."""
    rows = _parse(
        "admin0Pcode,admin1Name,admin1Pcode,admin2Name_fr,admin2Name,admin2Pcode,admin3RefName,admin3Pcode\n"
        "ML,Sikasso,ML05,Kadiolo,Kadiolo-en,ML0502,Zégoua,ML050209\n"
    )
    assert (rows[0].country, rows[0].adm1, rows[0].adm2, rows[0].adm3) == (
        "ML",
        "Sikasso",
        "Kadiolo",
        "Zégoua",
    )
    assert (rows[0].adm1_pcode, rows[0].adm2_pcode, rows[0].adm3_pcode) == ("ML05", "ML0502", "ML050209")
    both = _parse("ADM0_PCODE,ADM1_FR,admin1Name,ADM2_FR,ADM3_FR\nML,Sikasso,Autre,Kadiolo,Zégoua\n")
    assert both[0].adm1 == "Sikasso"


async def test_reimport_matches_existing_areas_and_fills_pcodes(gateway: Gateway, tmp_path: Path) -> None:
    official = tmp_path / "cod_ab.csv"
    official.write_text(
        "ADM0_PCODE,ADM0_FR,ADM1_FR,ADM1_PCODE,ADM2_FR,ADM2_PCODE,ADM3_FR,ADM3_PCODE\n"
        "ML,Mali,SIKASSO,ML05,Kadiolo,ML0502,Zegoua,ML050209\n"
        "ML,Mali,Sikasso,ML05,Kadiolo,ML0502,Nouvelle Commune,ML050299\n",
        encoding="utf-8",
    )
    async with gateway.db_engine.connect() as connection:
        transaction = await connection.begin()
        try:
            before = (await connection.execute(select(func.count()).select_from(Area))).scalar_one()
            again = await connection.run_sync(import_rows, read_rows(SEED))
            assert again.created == 0  # the seed was applied by the migration; nothing doubles
            result = await connection.run_sync(import_rows, read_rows(official))
            after = (await connection.execute(select(func.count()).select_from(Area))).scalar_one()
            zegoua = (await connection.execute(select(Area).where(Area.pcode == "ML050209"))).one()
        finally:
            await transaction.rollback()
    assert result.created == 1  # only "Nouvelle Commune"
    assert after == before + 1
    assert zegoua.name == "Zégoua"  # matched by name despite the missing accent; name kept
