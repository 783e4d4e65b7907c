"""The USSD engine: one hop in, one screen out. It knows flows and catalogs, not HTTP or SQL.

State is a plain JSON dict kept by the caller (the database in production):
    lang, at ("flow:screen"), page, data {flow: {key: value}}, show {flow: {key: label}},
    history [["flow:screen", page], ...], error (message id of a hint), ended.
Anything that needs the outside world (areas, reports, the contact) goes through `Runtime`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.i18n.catalogs import Catalogs, Translator
from gateway.i18n.text import fill, finish, measure
from gateway.ussd.flows import ENTRY, HOME, FlowSet, ScreenRef
from gateway.ussd.render import (
    Footer,
    Label,
    compose_page,
    compose_plain,
    paginate,
    render_label,
)
from gateway.ussd.schema import (
    Branch,
    EndScreen,
    InfoScreen,
    InputScreen,
    MenuScreen,
    Option,
    OptionSource,
    RouterScreen,
    Scalar,
)

BACK, HOME_KEY, MORE = "0", "00", "99"
_MAX_REDIRECTS = 20
# Enough to walk back through any flow; a caller going round in circles cannot grow the state.
_MAX_HISTORY = 30


@dataclass(frozen=True)
class Choice:
    """One numbered line of a menu, from the flow file or from an option source."""

    label: Label
    next: str | None
    store: dict[str, Scalar] = field(default_factory=dict)
    action: str | None = None
    # What a summary shows for a stored key, when it is not the option's own label.
    show: dict[str, Label] = field(default_factory=dict)


@dataclass
class ActionResult:
    goto: str | None = None
    data: dict[str, Scalar] = field(default_factory=dict)
    show: dict[str, Label] = field(default_factory=dict)
    language: str | None = None
    replace_state: dict[str, Any] | None = None
    # A verdict the screen maps to a screen of its own (InputScreen.branches), e.g. "unknown".
    branch: str | None = None


class Runtime(Protocol):
    """What the engine needs from the world; the service implements it over the database."""

    def values(self) -> dict[str, Any]:
        """Facts conditions can test (`language`, `resumable`, `home_area` …)."""
        ...

    async def choices(self, source: OptionSource, data: dict[str, Any]) -> list[Choice]: ...

    async def act(self, action: str, flow: str, data: dict[str, Any]) -> ActionResult: ...


@dataclass(frozen=True)
class _Layout:
    choices: list[Choice]
    head: str
    lines: list[str]
    pages: list[tuple[int, int]]


@dataclass(frozen=True)
class Reply:
    text: str
    end: bool
    screen: str


def new_state(language: str | None) -> dict[str, Any]:
    return {"lang": language, "at": ENTRY, "page": 0, "data": {}, "show": {}, "history": []}


class Engine:
    def __init__(self, flows: FlowSet, catalogs: Catalogs, screen_limit: int, default_language: str) -> None:
        self.flows = flows
        self.catalogs = catalogs
        self.limit = screen_limit
        self.default_language = default_language
        self._statics: dict[int, Choice] = {}

    # -- hops -------------------------------------------------------------------------------

    async def start(self, state: dict[str, Any], runtime: Runtime, text: str = "") -> Reply:
        """The first screen; inputs already in the first hop (a code dialled as *384*1234*1#,
        `text` "1") are played on it in order, or kept for after a screen that holds them."""
        await self._enter(state, self.flows.parse(ENTRY), runtime, push=False)
        reply = await self.render(state, runtime)
        return await self._play(state, text.split("*") if text else [], runtime, reply)

    async def _play(self, state: dict[str, Any], inputs: list[str], runtime: Runtime, reply: Reply) -> Reply:
        for index, part in enumerate(inputs):
            if reply.end:
                break
            if self._holds_dialled(state):
                state["dialled"] = inputs[index:]
                break
            reply = await self.handle(state, part, runtime)
        return reply

    def _holds_dialled(self, state: dict[str, Any]) -> bool:
        screen = self.flows.screen(self._at(state))
        return isinstance(screen, MenuScreen) and screen.holds_dialled

    async def handle(self, state: dict[str, Any], user_input: str, runtime: Runtime) -> Reply:
        reply = await self._handle(state, user_input, runtime)
        held = state.get("dialled")
        if held and not reply.end and not self._holds_dialled(state):
            # The screen that held the dialled inputs is answered: they go on from here.
            del state["dialled"]
            reply = await self._play(state, [str(part) for part in held], runtime, reply)
        return reply

    async def _handle(self, state: dict[str, Any], user_input: str, runtime: Runtime) -> Reply:
        if state.get("ended"):
            return await self.render(state, runtime)
        state.pop("error", None)
        text = user_input.strip()
        ref = self._at(state)
        screen = self.flows.screen(ref)
        if text == HOME_KEY:
            await self._home(state, runtime)
        elif text == BACK:
            await self._back(state, runtime)
        elif isinstance(screen, MenuScreen):
            await self._menu_input(state, screen, text, runtime)
        elif isinstance(screen, InputScreen):
            await self._input(state, screen, user_input, runtime)
        else:
            state["error"] = "ussd.error.use_nav"
        return await self.render(state, runtime)

    async def _menu_input(
        self, state: dict[str, Any], screen: MenuScreen, text: str, runtime: Runtime
    ) -> None:
        if text == MORE:
            layout = await self._layout(state, screen, runtime)
            if state.get("page", 0) + 1 < len(layout.pages):
                state["page"] = state.get("page", 0) + 1
            else:
                state["error"] = screen.error
            return
        # Options are numbered across pages: the choices alone say which one was meant.
        choices = await self._choices(state, screen, runtime)
        if text.isdigit() and len(text) <= 2 and 1 <= int(text) <= len(choices):
            await self._select(state, choices[int(text) - 1], runtime)
            return
        state["error"] = screen.error

    async def _input(self, state: dict[str, Any], screen: InputScreen, raw: str, runtime: Runtime) -> None:
        value = " ".join(raw.split())
        if len(value) < screen.min_length:
            state["error"] = screen.error_short
            return
        if len(value) > screen.max_length:
            state["error"] = screen.error_long
            return
        flow = self._at(state).flow
        self._data(state, flow)[screen.store] = value
        await self._after(state, screen.action, screen.next, runtime, screen.branches)

    async def _select(self, state: dict[str, Any], choice: Choice, runtime: Runtime) -> None:
        flow = self._at(state).flow
        data, show = self._data(state, flow), self._show(state, flow)
        for key, value in choice.store.items():
            data[key] = value
            show[key] = choice.show.get(key, choice.label).to_json()
        await self._after(state, choice.action, choice.next, runtime)

    async def _after(
        self,
        state: dict[str, Any],
        action: str | None,
        target: str | None,
        runtime: Runtime,
        branches: dict[str, Branch] | None = None,
    ) -> None:
        hint = None
        if action is not None:
            flow = self._at(state).flow
            result = await runtime.act(action, flow, self._data(state, flow))
            if result.replace_state is not None:
                state.clear()
                state.update(result.replace_state)
                return
            self._apply(state, flow, result)
            target = result.goto or target
            if result.branch is not None:
                branch = (branches or {}).get(result.branch)
                if branch is None:
                    raise RuntimeError(f"action {action!r} chose {result.branch!r}, which the screen lacks")
                target, hint = branch.next, branch.hint
        if target is not None:
            await self._goto(state, target, runtime)
        if hint is not None:
            state["error"] = hint

    def _apply(self, state: dict[str, Any], flow: str, result: ActionResult) -> None:
        self._data(state, flow).update(result.data)
        self._show(state, flow).update({k: v.to_json() for k, v in result.show.items()})
        if result.language:
            state["lang"] = result.language

    # -- navigation -------------------------------------------------------------------------

    async def _goto(self, state: dict[str, Any], target: str, runtime: Runtime) -> None:
        here = self._at(state)
        ref = self.flows.resolve(here.flow, target)
        if str(ref) == HOME:
            state["history"] = []
            await self._enter(state, ref, runtime, push=False)
            return
        await self._enter(state, ref, runtime, push=True)

    async def _home(self, state: dict[str, Any], runtime: Runtime) -> None:
        if state.get("lang"):
            await self._goto(state, HOME, runtime)
            return
        # A caller who has not chosen a language yet has no main menu: they would get it in the
        # default language, which they may not read. Back to the start: the language choice.
        state["history"] = []
        await self._enter(state, self.flows.parse(ENTRY), runtime, push=False)

    async def _enter(self, state: dict[str, Any], ref: ScreenRef, runtime: Runtime, *, push: bool) -> None:
        for _ in range(_MAX_REDIRECTS):
            here = state.get("at")
            if push and here and not isinstance(self.flows.screen(self._at(state)), RouterScreen):
                state["history"].append([here, state.get("page", 0)])
                del state["history"][:-_MAX_HISTORY]
            if here and self._at(state).flow != ref.flow and ref.screen == self.flows.flows[ref.flow].start:
                # A flow entered afresh from elsewhere forgets the answers of a previous visit.
                state["data"].pop(ref.flow, None)
                state["show"].pop(ref.flow, None)
            state["at"], state["page"] = str(ref), 0
            screen = self.flows.screen(ref)
            if isinstance(screen, EndScreen):
                state["ended"] = True
                state["outcome"] = screen.outcome
            if not isinstance(screen, RouterScreen):
                return
            values = {**runtime.values(), **self._data(state, ref.flow)}
            route = next(r for r in screen.routes if r.when is None or _holds(r.when, values))
            if route.action is not None:
                self._apply(
                    state, ref.flow, await runtime.act(route.action, ref.flow, self._data(state, ref.flow))
                )
            ref = self.flows.resolve(ref.flow, route.next)
            push = False
        raise RuntimeError("router loop in flows")

    async def _back(self, state: dict[str, Any], runtime: Runtime) -> None:
        if state.get("page", 0) > 0:
            state["page"] -= 1
            return
        if state["history"]:
            at, page = state["history"].pop()
            state["at"], state["page"] = at, page

    # -- rendering --------------------------------------------------------------------------

    async def render(self, state: dict[str, Any], runtime: Runtime) -> Reply:
        """The screen as the handset gets it: GSM-7 spelling, never over the limit."""
        raw = await self.compose(state, runtime)
        return Reply(finish(raw.text, self.translator(state).code, self.limit), raw.end, raw.screen)

    async def compose(self, state: dict[str, Any], runtime: Runtime) -> Reply:
        """The screen in standard spelling, before GSM-7 spelling and the hard limit."""
        ref = self._at(state)
        screen = self.flows.screen(ref)
        assert not isinstance(screen, RouterScreen)
        tr = self.translator(state)
        values = self._values(state, ref.flow, tr)
        if isinstance(screen, EndScreen):
            return Reply(fill(tr.gettext(screen.text), values), True, str(ref))
        error = state.get("error")
        footer = self.footer(tr)
        back, home = self._nav(state, ref)
        if isinstance(screen, MenuScreen):
            hint = tr.gettext(error) if error else None
            layout = await self._layout(state, screen, runtime, hint=hint)
            page = layout.pages[min(state.get("page", 0), len(layout.pages) - 1)]
            return Reply(
                compose_page(layout.head, layout.lines, page, footer, back=back, home=home), False, str(ref)
            )
        body = fill(tr.gettext(screen.text), values)
        hint = _hint(screen, error, tr)
        text = compose_plain(f"{hint}\n{body}" if hint else body, footer, back=back, home=home)
        if hint and measure(text, tr.code) > self.limit:
            # The hint replaces what the caller has already read rather than overflow the screen.
            text = compose_plain(hint, footer, back=back, home=home)
        return Reply(text, False, str(ref))

    async def page_count(self, state: dict[str, Any], runtime: Runtime) -> int:
        screen = self.flows.screen(self._at(state))
        if isinstance(screen, MenuScreen):
            return len((await self._layout(state, screen, runtime)).pages)
        return 1

    async def _layout(
        self, state: dict[str, Any], screen: MenuScreen, runtime: Runtime, hint: str | None = None
    ) -> _Layout:
        """The menu's question, numbered options and page breaks; the same for render and '99'."""
        ref = self._at(state)
        tr = self.translator(state)
        values = self._values(state, ref.flow, tr)
        choices = await self._choices(state, screen, runtime)
        if screen.plural:
            values["n"] = str(len(choices))
            head = fill(tr.ngettext(screen.text, screen.text, len(choices)), values)
        else:
            head = fill(tr.gettext(screen.text), values)
        if not choices and screen.empty:
            head = fill(tr.gettext(screen.empty), values)
        if hint:
            head = f"{hint}\n{head}"
        lines = [f"{i}. {render_label(c.label, tr, values)}" for i, c in enumerate(choices, 1)]
        back, home = self._nav(state, ref, first_page=True)
        pages = paginate(head, lines, self.footer(tr), tr.code, self.limit, back=back, home=home)
        return _Layout(choices, head, lines, pages)

    def _nav(self, state: dict[str, Any], ref: ScreenRef, *, first_page: bool = False) -> tuple[bool, bool]:
        page = 0 if first_page else state.get("page", 0)
        # Before a language is chosen, 00 leads back to the language choice: nothing to offer.
        return bool(state["history"]) or page > 0, str(ref) != HOME and bool(state.get("lang"))

    def translator(self, state: dict[str, Any]) -> Translator:
        return self.catalogs.translator(state.get("lang") or self.default_language)

    def footer(self, tr: Translator) -> Footer:
        return Footer(tr.gettext("ussd.nav.more"), tr.gettext("ussd.nav.back"), tr.gettext("ussd.nav.home"))

    async def _choices(self, state: dict[str, Any], screen: MenuScreen, runtime: Runtime) -> list[Choice]:
        flow = self._at(state).flow
        data = self._data(state, flow)
        values = {**runtime.values(), **data}
        choices: list[Choice] = []
        for source in screen.options_from:
            choices.extend(await runtime.choices(source, data))
        choices.extend(
            self._static(option)
            for option in screen.options
            if option.when is None or _holds(option.when, values)
        )
        return choices[:98]

    def _static(self, option: Option) -> Choice:
        # Made once per option of the loaded flows (which never change), not at every hop.
        made = self._statics.get(id(option))
        if made is None:
            made = self._statics[id(option)] = _static(option)
        return made

    def _values(self, state: dict[str, Any], flow: str, tr: Translator) -> _Values:
        return _Values(self._data(state, flow), self._show(state, flow), tr)

    def _at(self, state: dict[str, Any]) -> ScreenRef:
        return self.flows.parse(state["at"])

    @staticmethod
    def _data(state: dict[str, Any], flow: str) -> dict[str, Any]:
        data: dict[str, Any] = state["data"].setdefault(flow, {})
        return data

    @staticmethod
    def _show(state: dict[str, Any], flow: str) -> dict[str, Any]:
        show: dict[str, Any] = state["show"].setdefault(flow, {})
        return show


class _Values(Mapping[str, str]):
    """The answers a screen's text may name, rendered only when a placeholder asks for one: most
    screens name none, and rendering every shown label each time was most of a menu hop's work."""

    def __init__(self, data: dict[str, Any], show: dict[str, Any], tr: Translator) -> None:
        self._data, self._show, self._tr = data, show, tr
        self._extra: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        if key in self._extra:
            return self._extra[key]
        if key in self._show:
            return render_label(Label.from_json(self._show[key]), self._tr)
        return str(self._data[key])

    def __setitem__(self, key: str, value: str) -> None:
        self._extra[key] = value

    def __iter__(self) -> Iterator[str]:
        return iter({**self._data, **self._show, **self._extra})

    def __len__(self) -> int:
        return len({**self._data, **self._show, **self._extra})


def _static(option: Option) -> Choice:
    return Choice(Label(msgid=option.label), option.next, dict(option.store), option.action)


def _holds(condition: str, values: dict[str, Any]) -> bool:
    negate = condition.startswith("!")
    value = bool(values.get(condition.lstrip("!")))
    return not value if negate else value


def _hint(screen: InputScreen | InfoScreen, error: str | None, tr: Translator) -> str | None:
    """The hint over a text or info screen; "too long" names the screen's limit, {limit}."""
    if not error:
        return None
    limits = {"limit": str(screen.max_length)} if isinstance(screen, InputScreen) else {}
    return fill(tr.gettext(error), limits)
