"""`gateway flows check`: every screen of every flow, in every language, rendered and judged.

A screen fails when it is longer than the screen limit, holds a character with no GSM-7
spelling, or shows a message the language's catalog lacks (a raw id, or another language's
text through the fallback chain). Menus are rendered on every page, with and without the
"invalid choice" hint, with the longest answers the flows can put in their placeholders.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from gateway.areas.directory import AreaDirectory
from gateway.areas.matching import matcher_for
from gateway.i18n.catalogs import Catalogs, Translator
from gateway.i18n.flags import is_translated
from gateway.i18n.gsm7 import non_gsm7, septets, to_gsm7
from gateway.i18n.languages import CODES, chain
from gateway.i18n.text import placeholders
from gateway.reports.service import STATUSES
from gateway.ussd.engine import ActionResult, Choice, Engine
from gateway.ussd.flows import ScreenRef
from gateway.ussd.places import MAX_CANDIDATES
from gateway.ussd.render import Label
from gateway.ussd.schema import EndScreen, InfoScreen, InputScreen, MenuScreen, OptionSource, RouterScreen


@dataclass(frozen=True)
class Problem:
    flow: str
    screen: str
    language: str
    message: str
    # A gap a translator has marked "TODO(review)" (left to fall back rather than guessed) warns;
    # everything else fails the check.
    warning: bool = False

    def __str__(self) -> str:
        level = "warning" if self.warning else "error"
        return f"{level}: {self.flow}:{self.screen} [{self.language}] {self.message}"


class SampleRuntime:
    """Option sources filled from the bundled area list and made-up report references."""

    def __init__(self, directory: AreaDirectory) -> None:
        self.directory = directory

    def values(self) -> dict[str, Any]:
        return {"language": "fr", "resumable": True, "home_area": 1}

    async def choices(self, source: OptionSource, data: dict[str, Any]) -> list[Choice]:
        d = self.directory
        if source.source == "areas.usual":
            longest = max((p.name for p in d.places.values() if p.level == 3), key=len, default="X")
            return [Choice(Label("report.place.usual", params={"name": Label(text=longest)}), source.next)]
        if source.source == "areas.countries":
            return [Choice(Label(f"country.{c}"), source.next) for c in d.countries()]
        if source.source == "areas.provinces":
            return [Choice(Label(text=p.name), source.next) for c in d.countries() for p in d.provinces(c)]
        if source.source == "areas.communes":
            biggest = max(d.children.values(), key=len, default=[])
            return [Choice(Label(text=p.name), source.next) for p in biggest]
        if source.source == "areas.cercles":
            return [Choice(Label(text=p.name), source.next) for c in d.countries() for p in d.provinces(c)]
        if source.source == "areas.candidates":
            # The longest names, each with its cercle or province, as a shared name shows them.
            communes = [p for p in d.places.values() if p.level == 3]
            widest = sorted(communes, key=lambda p: -len(matcher_for(d).describe(p)))[:MAX_CANDIDATES]
            return [Choice(Label(text=matcher_for(d).describe(p)), source.next) for p in widest]
        if source.source == "reports.mine":
            longest = max(STATUSES, key=len)
            return [
                Choice(
                    Label(
                        "ussd.status.item",
                        params={
                            "reference": Label(text=f"R-{n}K3F"),
                            "status": Label(f"report_status.{longest}"),
                        },
                    ),
                    source.next,
                )
                for n in range(2, 11)
            ]
        return []

    async def act(self, action: str, flow: str, data: dict[str, Any]) -> ActionResult:
        return ActionResult()


def _samples(engine: Engine, directory: AreaDirectory, tr: Translator) -> dict[str, str]:
    """The longest text each placeholder can take in this language."""
    candidates: dict[str, list[str]] = {
        "reference": ["R-7K3F9"],
        "report": ["R-7K3F9"],
        "report_date": ["28/12/2026"],
        "report_status": [tr.gettext(f"report_status.{s}") for s in STATUSES],
        "area": [p.name for p in directory.places.values() if p.level == 3],
        "name": [p.name for p in directory.places.values() if p.level == 3],
        "n": ["9"],
    }
    for _ref, screen in engine.flows.all_screens():
        if isinstance(screen, MenuScreen):
            for option in screen.options:
                for key in option.store:
                    candidates.setdefault(key, []).append(tr.gettext(option.label))
    return {key: max(values, key=len) for key, values in candidates.items() if values}


def _state(
    ref: ScreenRef,
    lang: str,
    values: dict[str, str],
    *,
    history: bool,
    page: int = 0,
    error: str | None = None,
) -> dict[str, Any]:
    show = {key: Label(text=value).to_json() for key, value in values.items()}
    state: dict[str, Any] = {
        "lang": lang,
        "at": str(ref),
        "page": page,
        "data": {},
        "show": {ref.flow: show},
        "history": [["main:home", 0]] if history else [],
    }
    if error:
        state["error"] = error
    return state


async def check_flows(
    engine: Engine, catalogs: Catalogs, directory: AreaDirectory, languages: tuple[str, ...] = CODES
) -> list[Problem]:
    problems: list[Problem] = []
    runtime = SampleRuntime(directory)
    for lang in languages:
        tr = catalogs.translator(lang)
        own = catalogs.catalogs.get(lang)
        values = _samples(engine, directory, tr)
        for ref, screen in engine.flows.all_screens():
            if isinstance(screen, RouterScreen):
                continue

            def report(message: str, ref: ScreenRef = ref, lang: str = lang, warning: bool = False) -> None:
                problems.append(Problem(ref.flow, ref.screen, lang, message, warning))

            for msgid in _screen_messages(screen, engine):
                if own is None or not _translated(own, msgid):
                    fell_to = next(
                        (c for c in chain(lang)[1:] if _translated(catalogs.catalogs.get(c), msgid)), None
                    )
                    where = f"shows the {fell_to} text" if fell_to else "shows the raw id"
                    marked = fell_to is not None and _marked_gap(own, msgid)
                    note = "; marked TODO(review) by the translator" if marked else ""
                    report(f"message {msgid!r} is not translated ({where}{note})", warning=marked)
                else:
                    _check_placeholders(catalogs, lang, msgid, report)
            for state in _variants(engine, screen, ref, lang, values):
                async for text in _renders(engine, state, runtime):
                    spelled = to_gsm7(text, lang)
                    unspellable = [ch for ch in non_gsm7(text) if "?" in to_gsm7(ch, lang)]
                    if unspellable:
                        report(f"characters with no GSM-7 spelling: {' '.join(sorted(set(unspellable)))}")
                    if septets(spelled) > engine.limit:
                        first = spelled.splitlines()[0][:40]
                        report(
                            f"{septets(spelled)} characters, over the limit of {engine.limit} ({first!r}…)"
                        )
    return _dedupe(problems)


def _translated(catalog: Any, msgid: str) -> bool:
    if catalog is None:
        return False
    # Unreviewed ("fuzzy") entries count: the gateway shows them (gateway/i18n/catalogs.py).
    message = catalog.get(msgid)
    return message is not None and is_translated(message)


def _marked_gap(catalog: Any, msgid: str) -> bool:
    message = catalog.get(msgid) if catalog is not None else None
    return message is not None and any("TODO(review)" in c for c in message.user_comments)


def _check_placeholders(catalogs: Catalogs, lang: str, msgid: str, report: Any) -> None:
    source = catalogs.catalogs.get("fr")
    message = catalogs.catalogs[lang].get(msgid)
    if source is None or message is None or lang == "fr":
        return
    reference = source.get(msgid)
    if reference is None:
        return
    expected = set().union(*(placeholders(s) for s in _strings(reference.string)))
    for text in _strings(message.string):
        found = placeholders(text)
        if found != expected:
            report(f"message {msgid!r} has placeholders {sorted(found)}, French has {sorted(expected)}")


def _strings(value: Any) -> list[str]:
    return [s for s in (value if isinstance(value, tuple | list) else (value,)) if s]


def _screen_messages(screen: Any, engine: Engine) -> set[str]:
    ids = {screen.text, "ussd.nav.more", "ussd.nav.back", "ussd.nav.home"}
    if isinstance(screen, MenuScreen):
        ids.add(screen.error)
        ids.update(o.label for o in screen.options)
        if screen.empty:
            ids.add(screen.empty)
        for source in screen.options_from:
            ids.update(_source_messages(source))
    if isinstance(screen, InputScreen):
        ids.update((screen.error_short, screen.error_long))
        ids.update(branch.hint for branch in screen.branches.values() if branch.hint)
    if isinstance(screen, InfoScreen):
        ids.add("ussd.error.use_nav")
    return ids


def _source_messages(source: OptionSource) -> set[str]:
    if source.source == "areas.usual":
        return {"report.place.usual"}
    if source.source == "areas.countries":
        return {"country.ML", "country.BF"}
    if source.source == "reports.mine":
        return {"ussd.status.item", *(f"report_status.{s}" for s in STATUSES)}
    return set()


def _variants(
    engine: Engine, screen: Any, ref: ScreenRef, lang: str, values: dict[str, str]
) -> Iterator[dict[str, Any]]:
    for history in (False, True):
        yield _state(ref, lang, values, history=history)
        if isinstance(screen, MenuScreen):
            yield _state(ref, lang, values, history=history, error=screen.error)
        if isinstance(screen, InputScreen):
            yield _state(ref, lang, values, history=history, error=screen.error_short)
            yield _state(ref, lang, values, history=history, error=screen.error_long)
        if isinstance(screen, InfoScreen):
            yield _state(ref, lang, values, history=history, error="ussd.error.use_nav")
        for hint in _branch_hints(engine, ref):
            yield _state(ref, lang, values, history=history, error=hint)
        if isinstance(screen, EndScreen):
            return


def _branch_hints(engine: Engine, ref: ScreenRef) -> set[str]:
    """The hints other screens' branches show over this one ("commune not found" over the list)."""
    hints = set()
    for source, screen in engine.flows.all_screens():
        if isinstance(screen, InputScreen):
            for branch in screen.branches.values():
                if branch.hint and engine.flows.resolve(source.flow, branch.next) == ref:
                    hints.add(branch.hint)
    return hints


async def _renders(engine: Engine, state: dict[str, Any], runtime: SampleRuntime) -> AsyncIterator[str]:
    """Every page of the screen, in standard spelling and without the hard cut."""
    for page in range(await engine.page_count(state, runtime)):
        state["page"] = page
        yield (await engine.compose(state, runtime)).text


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for problem in problems:
        if str(problem) not in seen:
            seen.add(str(problem))
            out.append(problem)
    return out
