"""The commune a USSD caller types (ussd/places.py): found however it is written, a short list when
it could be several, the cercle list when it is nothing we know; never an error."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from gateway.areas.csvfile import read_rows
from gateway.areas.directory import AreaDirectory, Place
from gateway.areas.importer import LEVEL_COMMUNE, name_key
from gateway.areas.matching import EVERYDAY_WORDS
from gateway.config import ROOT
from gateway.ussd.places import (
    LIST,
    MAX_CANDIDATES,
    UNKNOWN,
    UNSURE,
    find_place,
    place_label,
    usual_place,
)

DIRECTORY = AreaDirectory.from_rows(read_rows(ROOT / "data" / "areas" / "border_areas.csv"))
COMMUNES = sorted((p for p in DIRECTORY.places.values() if p.level == LEVEL_COMMUNE), key=lambda p: p.id)
SHARED = {
    name_key(p.name) for p in COMMUNES if sum(name_key(q.name) == name_key(p.name) for q in COMMUNES) > 1
}


def _bare(text: str) -> str:
    """As a phone without accents types it."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _place(area_id: object) -> Place:
    place = DIRECTORY.get(int(str(area_id)))
    assert place is not None
    return place


def _found(place: Place, typed: str, home_area: int | None = None) -> bool:
    result = find_place(DIRECTORY, typed, home_area)
    if result.branch == UNSURE:
        return str(place.id) in str(result.data["candidates"]).split(",")
    return result.branch is None and result.data["area"] == place.id


@given(
    place=st.sampled_from(COMMUNES), upper=st.booleans(), accents=st.booleans(), pad=st.text(" ", max_size=3)
)
def test_a_commune_typed_by_its_name_is_found_however_written(
    place: Place, upper: bool, accents: bool, pad: str
) -> None:
    typed = place.name if accents else _bare(place.name)
    typed = pad + (typed.upper() if upper else typed.lower()) + pad
    assert _found(place, typed)
    if name_key(place.name) not in SHARED:
        assert find_place(DIRECTORY, typed, None).branch is None  # sure: no list to pick from


@given(place=st.sampled_from([p for p in COMMUNES if len(name_key(p.name)) >= 7]), data=st.data())
def test_a_letter_left_out_is_forgiven(place: Place, data: st.DataObject) -> None:
    key = name_key(place.name).replace(" ", "")
    if key in EVERYDAY_WORDS:
        return
    cut = data.draw(st.integers(min_value=1, max_value=len(key) - 1))
    typed = key[:cut] + key[cut + 1 :]
    result = find_place(DIRECTORY, typed, None)
    # Another commune may be as close (then both are offered) or closer (a real name): never nothing.
    assert result.branch in (None, UNSURE)
    if result.branch is None:
        chosen = DIRECTORY.get(int(result.data["area"]))
        assert chosen is not None
        assert chosen.level == LEVEL_COMMUNE


@given(text=st.text(max_size=60))
def test_any_text_gets_a_verdict_the_flow_knows(text: str) -> None:
    result = find_place(DIRECTORY, text, None)
    assert result.branch in (None, UNSURE, UNKNOWN, LIST)
    if result.branch is None:
        place = DIRECTORY.get(int(result.data["area"]))
        assert place is not None
        assert place.level == LEVEL_COMMUNE
        assert result.show["area"].text == place_label(DIRECTORY, place)
    if result.branch == UNSURE:
        ids = str(result.data["candidates"]).split(",")
        assert 2 <= len(ids) <= MAX_CANDIDATES
        assert all(DIRECTORY.get(int(i)) is not None for i in ids)


@given(digits=st.from_regex(r"\A[0-9]{1,3}\Z"))
def test_a_number_asks_for_the_list(digits: str) -> None:
    assert find_place(DIRECTORY, digits, None).branch == LIST


def test_a_shared_name_is_listed_with_its_cercles_and_settled_by_the_usual_commune() -> None:
    result = find_place(DIRECTORY, "Kourouma", None)
    assert result.branch == UNSURE
    labels = sorted(place_label(DIRECTORY, _place(i)) for i in str(result.data["candidates"]).split(","))
    assert labels == ["Kourouma Kénédougou", "Kourouma Sikasso"]
    # Named with its cercle, or typed by a caller whose usual commune is in that cercle: sure.
    assert find_place(DIRECTORY, "Kourouma Sikasso", None).show["area"].text == "Kourouma Sikasso"
    sikasso_commune = next(p for p in COMMUNES if p.name == "Sikasso")
    assert find_place(DIRECTORY, "Kourouma", sikasso_commune.id).branch is None


def test_aliases_and_the_usual_commune() -> None:
    assert _place(find_place(DIRECTORY, "Bobo", None).data["area"]).name == "Bobo-Dioulasso"
    assert _place(find_place(DIRECTORY, "kutiala", None).data["area"]).name == "Koutiala"
    zegoua = next(p for p in COMMUNES if p.name == "Zégoua")
    assert usual_place(DIRECTORY, zegoua.id).data == {"area": zegoua.id}
    assert usual_place(DIRECTORY, None).data == {}
    assert usual_place(DIRECTORY, zegoua.parent_id).data == {}  # a cercle is no usual commune
