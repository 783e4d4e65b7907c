"""Every USSD screen as a handset shows it, with the messages on it: for review sheets and for the
length limit each message may take.

The same sample answers and page variants as `gateway flows check` (check.py), rendered by the
engine itself; a translator that records what it is asked tells which messages each page shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.areas.directory import AreaDirectory
from gateway.i18n.catalogs import Catalogs, Translator
from gateway.i18n.display import Display, Part
from gateway.i18n.gsm7 import septets, to_gsm7
from gateway.ussd.check import SampleRuntime, _samples, _variants
from gateway.ussd.engine import Engine
from gateway.ussd.flows import ENTRY, HOME, FlowSet, ScreenRef
from gateway.ussd.schema import EndScreen, MenuScreen, RouterScreen

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_OPTION_LINE = re.compile(r"^\d{1,2}\. ")
_MORE = "ussd.nav.more"
# The footer's words (Engine.footer).
_NAV = frozenset({_MORE, "ussd.nav.back", "ussd.nav.home"})


@dataclass
class _Recording(Translator):
    seen: list[tuple[str, str]] = field(default_factory=list)

    def gettext(self, msgid: str) -> str:
        text = super().gettext(msgid)
        self.seen.append((msgid, text))
        return text

    def ngettext(self, msgid: str, msgid_plural: str, n: int) -> str:
        text = super().ngettext(msgid, msgid_plural, n)
        self.seen.append((msgid, text))
        return text


class _RecordingCatalogs(Catalogs):
    """The engine's catalogs, whose translators note every message looked up."""

    def __init__(self, base: Catalogs) -> None:  # shares base's catalogs: nothing read again
        self.locales_dir = base.locales_dir
        self.catalogs = base.catalogs
        self._base = base
        self.seen: list[tuple[str, str]] = []

    def translator(self, code: str) -> Translator:
        plain = self._base.translator(code)
        return _Recording(plain.code, plain.translations, plain.missing, self.seen)


async def render_screens(engine: Engine, directory: AreaDirectory, language: str) -> list[Display]:
    recording = _RecordingCatalogs(engine.catalogs)
    traced = Engine(engine.flows, recording, engine.limit, engine.default_language)
    runtime = SampleRuntime(directory)
    values = _samples(traced, directory, recording.translator(language))
    dialled = _dialled(engine.flows)
    displays: list[Display] = []
    for ref, screen in engine.flows.all_screens():
        if isinstance(screen, RouterScreen):
            continue
        for state in _variants(traced, screen, ref, language, values):
            count = await traced.page_count(state, runtime)
            for page in range(count):
                state["page"] = page
                recording.seen.clear()
                composed = (await traced.compose(state, runtime)).text
                seen = list(recording.seen)
                shown = (await traced.render(state, runtime)).text
                displays.append(
                    _display(ref, state, page, count, composed, shown, seen, language, traced.limit, screen)
                )
                if not _on_sheet(ref, state, dialled, screen):
                    displays[-1] = replace(displays[-1], on_sheet=False)
    return displays


def _display(
    ref: ScreenRef,
    state: dict[str, Any],
    page: int,
    count: int,
    composed: str,
    shown: str,
    seen: list[tuple[str, str]],
    language: str,
    limit: int,
    screen: Any,
) -> Display:
    spelled = to_gsm7(composed, language)
    units = septets(spelled)
    shown_here: dict[str, str] = {}
    for msgid, text in seen:
        if msgid not in shown_here and _on_page(text, spelled, language):
            shown_here[msgid] = text
    if state.get("error") and not isinstance(screen, MenuScreen):
        # Over a text screen the engine drops the body rather than overflow: only the hint and
        # the footer must fit there (as `flows check` judges it).
        shown_here = {m: t for m, t in shown_here.items() if m == state["error"] or m in _NAV}
    # A hint can push a menu onto a second page that page_count (hint-less) does not count.
    paged = isinstance(screen, MenuScreen) and (count > 1 or _MORE in shown_here)
    parts = [
        Part(msgid, text, limit - units + _movable(spelled, text, language, paged))
        for msgid, text in shown_here.items()
    ]
    return Display(
        kind="ussd",
        where=str(ref),
        variant=_variant_name(state, page, count),
        text=shown,
        units=units,
        budget=limit,
        parts=tuple(parts),
    )


def _on_page(text: str, spelled_page: str, language: str) -> bool:
    chunks = [to_gsm7(chunk, language).strip() for chunk in _PLACEHOLDER.split(text)]
    return all(chunk in spelled_page for chunk in chunks if chunk)


def _movable(spelled_page: str, text: str, language: str, paged: bool) -> int:
    """On a menu already split into pages, options can move to the next page: a message there
    must leave room for one option (its own, or the longest), not for all those on the page."""
    if not paged:
        return 0
    options = [line for line in spelled_page.split("\n") if _OPTION_LINE.match(line)]
    if len(options) < 2:
        return 0
    own = [i for i, line in enumerate(options) if _on_page(text, line, language)]
    kept = own[0] if own else max(range(len(options)), key=lambda i: septets(options[i]))
    return sum(septets(line) + 1 for i, line in enumerate(options) if i != kept)


def _variant_name(state: dict[str, Any], page: int, count: int) -> str:
    bits = []
    if count > 1:
        bits.append(f"page {page + 1}/{count}")
    if state.get("error"):
        bits.append(f"hint {state['error']}")
    if not state.get("history"):
        bits.append("first screen")
    return ", ".join(bits)


def _on_sheet(ref: ScreenRef, state: dict[str, Any], dialled: set[str], screen: Any) -> bool:
    # The sheet shows each screen once as a caller reaches it: the first screens of a dial and
    # the main menu without "0 back", the others with it (an END screen has no keys at all);
    # each hint on its first page only.
    if isinstance(screen, EndScreen):
        return True
    if bool(state.get("history")) == (str(ref) in dialled):
        return False
    return not state.get("error") or state.get("page", 0) == 0


def _dialled(flows: FlowSet) -> set[str]:
    """The screens a dial can open on (through the entry routers), and the main menu."""
    found, todo, visited = {HOME}, [flows.parse(ENTRY)], set()
    while todo:
        ref = todo.pop()
        if str(ref) in visited:
            continue
        visited.add(str(ref))
        screen = flows.screen(ref)
        if not isinstance(screen, RouterScreen):
            found.add(str(ref))
            continue
        todo.extend(flows.resolve(ref.flow, route.next) for route in screen.routes)
    return found
