"""A committee is found by its name as people type it: case, accents and spacing aside, like areas."""

from __future__ import annotations

import pytest

from gateway.committees.service import CommitteeError, committee_by_name, create_committee
from gateway.wiring import Gateway


async def committees(gateway: Gateway, *names: str) -> None:
    async with gateway.sessionmaker() as db, db.begin():
        for name in names:
            await create_committee(db, name, ["Zégoua"], "weekly mon 08:00", "Africa/Bamako")


@pytest.mark.parametrize(
    "typed",
    [
        "Comité Zégoua-Niangoloko",
        "comite zegoua-niangoloko",
        "COMITÉ ZÉGOUA NIANGOLOKO",
        "  Comite   Zegoua - Niangoloko ",
    ],
)
async def test_found_with_accents_and_case_aside(gateway: Gateway, typed: str) -> None:
    await committees(gateway, "Comité Zégoua-Niangoloko", "Comité Kadiolo")
    async with gateway.sessionmaker() as db:
        assert (await committee_by_name(db, typed)).name == "Comité Zégoua-Niangoloko"


async def test_two_names_that_fold_alike_are_both_named(gateway: Gateway) -> None:
    await committees(gateway, "Comité Zégoua", "Comite Zegoua")
    async with gateway.sessionmaker() as db:
        with pytest.raises(CommitteeError) as ambiguous:
            await committee_by_name(db, "comite zegoua")
        # Written exactly, each can still be reached.
        assert (await committee_by_name(db, "Comite Zegoua")).name == "Comite Zegoua"
        assert (await committee_by_name(db, "Comité Zégoua")).name == "Comité Zégoua"
    message = str(ambiguous.value)
    assert "ambiguous" in message
    assert "'Comite Zegoua'" in message
    assert "'Comité Zégoua'" in message


@pytest.mark.parametrize("typed", ["Comité Sikasso", "", "  ", "Comité"])
async def test_an_unknown_name_is_said_so(gateway: Gateway, typed: str) -> None:
    await committees(gateway, "Comité Zégoua-Niangoloko")
    async with gateway.sessionmaker() as db:
        with pytest.raises(CommitteeError, match="no committee named"):
            await committee_by_name(db, typed)
