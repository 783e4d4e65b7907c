"""Finding the commune in what a resident wrote: folded, forgiving one slip, settling homonyms."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.areas.csvfile import read_rows
from gateway.areas.directory import AreaDirectory
from gateway.areas.importer import LEVEL_COMMUNE
from gateway.areas.matching import EVERYDAY_WORDS, SHORT, PlaceMatcher
from gateway.config import Settings

DIRECTORY = AreaDirectory.from_rows(read_rows(Settings.model_fields["areas_csv"].default))
MATCHER = PlaceMatcher(DIRECTORY)
COMMUNES = sorted((p for p in DIRECTORY.places.values() if p.level == LEVEL_COMMUNE), key=lambda p: p.name)


def _where(match: object) -> str | None:
    place = getattr(match, "place", None)
    return MATCHER.describe(place) if place else None


@pytest.mark.parametrize(
    ("text", "whole", "country", "expected"),
    [
        ("URGENT coups de feu au marché de Zégoua maintenant", False, None, "Zégoua Kadiolo"),
        ("coups de feu a ZEGOUA", False, None, "Zégoua Kadiolo"),
        ("vol de bétail à Zegoa hier soir", False, None, "Zégoua Kadiolo"),  # one letter missing
        ("probleme a Niangolko", False, None, "Niangoloko Comoé"),
        ("Bobo", True, None, "Bobo-Dioulasso Houet"),  # an alias
        ("racket sur la route de bobo dioulasso", False, None, "Bobo-Dioulasso Houet"),
        ("bobodioulasso", True, None, "Bobo-Dioulasso Houet"),
        ("commune:Kadiolo", True, None, "Kadiolo Kadiolo"),
        ("Kourouma Kénédougou", True, None, "Kourouma Kénédougou"),
        ("Kourouma, Sikasso", True, None, "Kourouma Sikasso"),
        ("à Kourouma au Burkina", False, None, "Kourouma Kénédougou"),
        ("Kourouma", True, "BF", "Kourouma Kénédougou"),
        ("vol à Bama", False, None, "Bama Houet"),
        ("Bama la kɛlɛ bɛ", False, None, "Bama Houet"),
        ("Bama", True, None, "Bama Houet"),
        ("un bama est sorti du fleuve", False, None, None),  # the crocodile, not the commune
        ("Merci beaucoup", False, None, None),
        ("Nowhere", True, None, None),
        ("", True, None, None),
        ("de Zégoua vers Niangoloko", False, None, "Zégoua Kadiolo"),  # the first named
    ],
)
def test_the_commune_a_text_names(text: str, whole: bool, country: str | None, expected: str | None) -> None:
    assert _where(MATCHER.find(text, whole=whole, country=country)) == expected


def test_a_shared_name_without_a_hint_is_ambiguous() -> None:
    match = MATCHER.find("Kourouma", whole=True)
    assert match.ambiguous
    assert sorted(MATCHER.describe(p) for p in match.candidates) == [
        "Kourouma Kénédougou",
        "Kourouma Sikasso",
    ]


def test_the_usual_commune_settles_a_shared_name() -> None:
    kapalas = [p for p in COMMUNES if p.name == "Kapala"]
    assert len(kapalas) == 2
    neighbour = next(p for p in COMMUNES if p.parent_id == kapalas[1].parent_id and p.name != "Kapala")
    assert MATCHER.find("vol à Kapala", near=neighbour.id).place == kapalas[1]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@given(
    commune=st.sampled_from(
        [p for p in COMMUNES if len(p.name) > SHORT and p.name.casefold() not in EVERYDAY_WORDS]
    ),
    upper=st.booleans(),
    accents=st.booleans(),
    before=st.sampled_from(["", "Urgent: ", "des hommes armés à ", "kɛlɛ bɛ "]),
    after=st.sampled_from(["", " maintenant", " ce matin !", " la"]),
)
def test_any_commune_is_found_however_it_is_cased_or_accented(
    commune: object, upper: bool, accents: bool, before: str, after: str
) -> None:
    name = commune.name  # type: ignore[attr-defined]
    written = _strip_accents(name) if not accents else name
    match = MATCHER.find(before + (written.upper() if upper else written) + after)
    assert commune in match.candidates


@given(st.text(max_size=300))
def test_any_text_gives_an_answer_never_an_error(text: str) -> None:
    match = MATCHER.find(text)
    assert match.place is None or match.place in match.candidates
