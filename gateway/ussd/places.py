"""Where a USSD report happened: the caller's usual commune, or a commune typed by name and matched
as an SMS report's place is (gateway/areas/matching.py: aliases, accents and a letter or two wrong
forgiven), with a short list to pick from when the name could be several communes.

Pure functions of the area tree in memory, so the full path (runtime.py) and the lean one
(lean.py) give the same answer. The flow names the screens; these only say what was found.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from gateway.areas.directory import AreaDirectory, Place
from gateway.areas.importer import LEVEL_COMMUNE, name_key
from gateway.areas.matching import matcher_for
from gateway.ussd.engine import ActionResult, Choice
from gateway.ussd.render import Label
from gateway.ussd.schema import OptionSource

PLACE_ACTIONS = ("find_place", "usual_place")
PLACE_SOURCES = ("areas.cercles", "areas.candidates")
# What the caller typed (the input screen's `store`), and what find_place leaves for the pick list.
TYPED, CANDIDATES, AREA = "place_name", "candidates", "area"
# find_place's verdicts besides "found": the flow maps each to a screen (InputScreen.branches).
UNSURE, UNKNOWN, LIST = "unsure", "unknown", "list"
# A pick list longer than this is no help on a phone; the cercle list is offered after it.
MAX_CANDIDATES = 3


def place_action(
    directory: AreaDirectory, action: str, data: dict[str, Any], home_area: int | None
) -> ActionResult:
    if action == "usual_place":
        return usual_place(directory, home_area)
    if action == "find_place":
        return find_place(directory, str(data.get(TYPED) or ""), home_area)
    raise ValueError(f"unknown place action {action!r}")


def usual_place(directory: AreaDirectory, home_area: int | None) -> ActionResult:
    """The commune of the caller's last named report; nothing if it is no longer in the list (the
    flow then asks)."""
    place = directory.get(home_area)
    if place is None or place.level != LEVEL_COMMUNE:
        return ActionResult()
    return _chosen(directory, place)


def find_place(directory: AreaDirectory, typed: str, home_area: int | None) -> ActionResult:
    """The commune `typed` names. A usual commune settles a name two communes share (the one in
    its cercle); the number's country does not, since people report across the border."""
    if typed.strip().isdigit():
        return ActionResult(branch=LIST)  # "1 for the list": no name was meant
    match = matcher_for(directory).find(typed, whole=True, near=home_area)
    if match.place is not None:
        return _chosen(directory, match.place)
    if match.candidates:
        ids = ",".join(str(place.id) for place in match.candidates[:MAX_CANDIDATES])
        return ActionResult(branch=UNSURE, data={CANDIDATES: ids})
    return ActionResult(branch=UNKNOWN)


def cercle_choices(directory: AreaDirectory, source: OptionSource) -> list[Choice]:
    """Every cercle and province, Mali's then Burkina Faso's: one list instead of country then
    province (the border has eight)."""
    return [
        Choice(Label(text=p.name), source.next, {source.store: p.id}, source.action)
        for country in directory.countries()
        for p in directory.provinces(country)
    ]


def candidate_choices(directory: AreaDirectory, source: OptionSource, ids: object) -> list[Choice]:
    places = [directory.get(int(part)) for part in str(ids or "").split(",") if part.isdigit()]
    out = []
    for place in places:
        if place is not None:
            label = Label(text=place_label(directory, place))
            out.append(Choice(label, source.next, {source.store: place.id}, source.action))
    return out


def place_label(directory: AreaDirectory, place: Place) -> str:
    """A commune as the caller is shown it: its name, with its cercle/province when another
    commune has the same name (Kourouma Sikasso, Kourouma Kénédougou)."""
    if _shared_names(directory)[name_key(place.name)] > 1:
        return matcher_for(directory).describe(place)
    return place.name


def _shared_names(directory: AreaDirectory) -> Counter[str]:
    made = directory.memo.get("ussd.commune_names")
    if not isinstance(made, Counter):
        made = directory.memo["ussd.commune_names"] = Counter(
            name_key(p.name) for p in directory.places.values() if p.level == LEVEL_COMMUNE
        )
    return made


def _chosen(directory: AreaDirectory, place: Place) -> ActionResult:
    return ActionResult(data={AREA: place.id}, show={AREA: Label(text=place_label(directory, place))})
