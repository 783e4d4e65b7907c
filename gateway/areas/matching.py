"""Which commune a text speaks of: its name or an alias, case and accents folded, a letter wrong
here and there forgiven, and a name two communes share settled by the other words in the text,
the sender's country or their usual commune.

Used on free text (an SMS report), where a commune whose name is also an everyday word (Bama is a
crocodile in Bambara, Fô is "to say") counts only next to a word that marks a place ("à Bama",
"Bama la"), and on a bare answer (a reply to "where?", AVIS …), where the text is the place."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.areas.csvfile import COUNTRY_NAMES, alias_names
from gateway.areas.directory import AreaDirectory, Place
from gateway.areas.importer import LEVEL_COMMUNE, name_key

# Names that are also common words (Bambara, Dioula, French, folded), or too short to trust alone.
EVERYDAY_WORDS = frozenset(
    {"bama", "fama", "benkadi", "dogoni", "kafo", "diou", "tella", "miria", "konina", "koury", "songoua"}
)
SHORT = 4
# Words that put a place right after them (French) or right before them (Manding postpositions).
BEFORE_A_PLACE = frozenset(
    {"a", "au", "aux", "de", "du", "d", "vers", "pres", "entre", "sur", "dans", "commune"}
)
AFTER_A_PLACE = frozenset({"la", "na", "kan", "kono", "ka", "fe"})
# Prefixes an organiser (or a resident copying one) writes before a name: commune:Kadiolo.
LEVEL_PREFIXES = ("commune",)
MAX_WORDS = 4


@dataclass(frozen=True)
class PlaceMatch:
    """The commune meant, or the communes it could be (a shared name), or neither."""

    place: Place | None = None
    candidates: tuple[Place, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.place is None and len(self.candidates) > 1


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    place: Place
    exact: bool


def matcher_for(directory: AreaDirectory) -> PlaceMatcher:
    """The matcher of this area tree, built once: SMS places and the USSD typed commune share it,
    and a new tree (an import, a reload) gets its own."""
    made = directory.memo.get(PlaceMatcher)
    if not isinstance(made, PlaceMatcher):
        made = directory.memo[PlaceMatcher] = PlaceMatcher(directory)
    return made


class PlaceMatcher:
    def __init__(self, directory: AreaDirectory) -> None:
        self.directory = directory
        self._communes: dict[str, list[Place]] = defaultdict(list)
        self._squeezed: dict[str, list[Place]] = defaultdict(list)
        self._context: dict[str, set[int]] = defaultdict(set)  # a province/region/country word -> ids
        for place in directory.places.values():
            keys = {name_key(place.name), *(name_key(a) for a in alias_names(place.aliases))} - {""}
            if place.level == LEVEL_COMMUNE:
                for key in keys:
                    self._communes[key].append(place)
                    self._squeezed[key.replace(" ", "")].append(place)
            else:
                for key in keys:
                    self._context[key].add(place.id)
        for country_name, code in COUNTRY_NAMES.items():
            self._context[country_name].update(
                p.id for p in directory.places.values() if p.parent_id is None and p.country == code
            )

    def find(
        self, text: str, *, whole: bool = False, country: str | None = None, near: int | None = None
    ) -> PlaceMatch:
        """The commune `text` names. `whole`: the text is meant as a place (an answer, AVIS …), so
        everyday-word names count without a place word beside them. `country` (ML, BF) and `near`
        (a usual commune) settle a shared name the text does not."""
        words = name_key(text).split()
        if words and words[0] in LEVEL_PREFIXES:
            words = words[1:]
        hits = self._exact(words, whole) or self._fuzzy(words, whole)
        if not hits:
            return PlaceMatch()
        # The first place named wins ("de Zégoua vers Niangoloko": where it happened comes first).
        first = min(hits, key=lambda h: (not h.exact, h.start, -(h.end - h.start)))
        options = _unique(h.place for h in hits if (h.start, h.end) == (first.start, first.end))
        others = [w for i, w in enumerate(words) if not first.start <= i < first.end]
        if len(options) > 1:
            options = self._settle(options, others, country, near)
        return PlaceMatch(options[0] if len(options) == 1 else None, tuple(options))

    def describe(self, place: Place) -> str:
        """A commune with its cercle/province, as a person would tell two homonyms apart."""
        parent = self.directory.get(place.parent_id)
        return f"{place.name} {parent.name}" if parent else place.name

    def _exact(self, words: list[str], whole: bool) -> list[_Hit]:
        hits: list[_Hit] = []
        for start, end in _windows(len(words)):
            key = " ".join(words[start:end])
            places = self._communes.get(key) or self._squeezed.get(key.replace(" ", "")) or []
            if places and self._trusted(key, words, start, end, whole):
                hits.extend(_Hit(start, end, p, True) for p in places)
        return hits

    def _fuzzy(self, words: list[str], whole: bool) -> list[_Hit]:
        hits: list[_Hit] = []
        for start, end in _windows(len(words)):
            typed = "".join(words[start:end])
            if len(typed) < 5:
                continue
            for key, places in self._squeezed.items():
                allowed = 1 if len(key) < 9 else 2
                if key in EVERYDAY_WORDS or abs(len(key) - len(typed)) > allowed:
                    continue
                if _distance(typed, key, allowed) <= allowed and self._trusted(key, words, start, end, whole):
                    hits.extend(_Hit(start, end, p, False) for p in places)
        return hits

    @staticmethod
    def _trusted(key: str, words: list[str], start: int, end: int, whole: bool) -> bool:
        if whole or (len(key.replace(" ", "")) > SHORT and key not in EVERYDAY_WORDS):
            return True
        before = words[start - 1] if start > 0 else ""
        after = words[end] if end < len(words) else ""
        return before in BEFORE_A_PLACE or after in AFTER_A_PLACE

    def _settle(
        self, options: list[Place], others: list[str], country: str | None, near: int | None
    ) -> list[Place]:
        pairs = [f"{a} {b}" for a, b in zip(others, others[1:], strict=False)]
        named = {area for word in (*others, *pairs) for area in self._context.get(word, ())}
        under = [p for p in options if named & set(self._ancestors(p))]
        options = under or options
        near_place = self.directory.get(near)
        if len(options) > 1 and near_place is not None:
            options = [p for p in options if p.parent_id == near_place.parent_id] or options
        country = country or (near_place.country if near_place else None)
        if len(options) > 1 and country:
            options = [p for p in options if p.country == country] or options
        return options

    def _ancestors(self, place: Place) -> list[int]:
        chain: list[int] = []
        current = self.directory.get(place.parent_id)
        while current is not None and len(chain) < 5:
            chain.append(current.id)
            current = self.directory.get(current.parent_id)
        return chain


def _windows(count: int) -> list[tuple[int, int]]:
    return [(s, s + n) for n in range(MAX_WORDS, 0, -1) for s in range(0, count - n + 1)]


def _unique(places: Iterable[Place]) -> list[Place]:
    seen: dict[int, Place] = {}
    for place in places:
        seen.setdefault(place.id, place)
    return list(seen.values())


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance (adjacent swaps count one), giving up once past `limit`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
