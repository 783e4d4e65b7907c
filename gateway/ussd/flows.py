"""Loading flows/*.yaml and checking that they hang together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from gateway.ussd.schema import EndScreen, Flow, InfoScreen, InputScreen, MenuScreen, RouterScreen, Screen

HOME = "main:home"
ENTRY = "main:start"


class FlowError(ValueError):
    """A flow file that cannot be used; the message names the file and the screen."""


@dataclass(frozen=True)
class ScreenRef:
    flow: str
    screen: str

    def __str__(self) -> str:
        return f"{self.flow}:{self.screen}"


class FlowSet:
    def __init__(self, flows: dict[str, Flow]) -> None:
        self.flows = flows
        # A session's place ("report:urgency") is read from its state some nine times a hop; the
        # flows never change once loaded, so each text is parsed once.
        self._parsed: dict[str, ScreenRef] = {}

    def resolve(self, current_flow: str, target: str) -> ScreenRef:
        if ":" in target:
            flow_id, _, screen = target.partition(":")
            flow = self.flows[flow_id]
            return ScreenRef(flow_id, screen or flow.start)
        return ScreenRef(current_flow, target)

    def screen(self, ref: ScreenRef) -> Screen:
        return self.flows[ref.flow].screens[ref.screen]

    def parse(self, text: str) -> ScreenRef:
        ref = self._parsed.get(text)
        if ref is None:
            ref = self.resolve("main", text)
            if len(self._parsed) < 4096:  # a state's text is ours, but never let it grow unbounded
                self._parsed[text] = ref
        return ref

    def all_screens(self) -> Iterator[tuple[ScreenRef, Screen]]:
        for flow in self.flows.values():
            for name, screen in flow.screens.items():
                yield ScreenRef(flow.id, name), screen

    def is_resumable(self, ref: ScreenRef) -> bool:
        return ref.screen in self.flows[ref.flow].resumable

    def message_ids(self) -> set[str]:
        ids: set[str] = set()
        for _ref, screen in self.all_screens():
            if isinstance(screen, RouterScreen):
                continue
            ids.add(screen.text)
            if isinstance(screen, MenuScreen):
                ids.add(screen.error)
                ids.update(option.label for option in screen.options)
                if screen.empty:
                    ids.add(screen.empty)
            if isinstance(screen, InputScreen):
                ids.update((screen.error_short, screen.error_long))
                ids.update(branch.hint for branch in screen.branches.values() if branch.hint)
        return ids


def load_flows(directory: Path, actions: Iterable[str], sources: Iterable[str]) -> FlowSet:
    flows: dict[str, Flow] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            flow = Flow.model_validate(raw)
        except yaml.YAMLError as exc:
            raise FlowError(f"{path.name}: not valid YAML: {exc}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise FlowError(f"{path.name}: {where}: {first['msg']}") from None
        if flow.id in flows:
            raise FlowError(f"{path.name}: flow id {flow.id!r} is used twice")
        flows[flow.id] = flow
    flow_set = FlowSet(flows)
    _check_links(flow_set, set(actions), set(sources))
    return flow_set


def _check_links(flow_set: FlowSet, actions: set[str], sources: set[str]) -> None:
    if "main" not in flow_set.flows:
        raise FlowError("no flow with id 'main' (the entry point)")
    for required in (ENTRY, HOME):
        _target(flow_set, "main", required, "entry point")

    for flow in flow_set.flows.values():
        if flow.start not in flow.screens:
            raise FlowError(f"{flow.id}: start screen {flow.start!r} does not exist")
        for name in flow.resumable:
            if name not in flow.screens:
                raise FlowError(f"{flow.id}: resumable screen {name!r} does not exist")
        for name, screen in flow.screens.items():
            where = f"{flow.id}:{name}"
            targets: list[str] = []
            used_actions: list[str | None] = []
            if isinstance(screen, MenuScreen):
                if not screen.options and not screen.options_from:
                    raise FlowError(f"{where}: a menu needs options or options_from")
                if len(screen.options) > 98:
                    raise FlowError(f"{where}: more than 98 options (0, 00 and 99 are reserved)")
                for option in screen.options:
                    if option.next is None and option.action is None:
                        raise FlowError(f"{where}: option {option.label!r} has neither next nor action")
                    if option.next:
                        targets.append(option.next)
                    used_actions.append(option.action)
                for source in screen.options_from:
                    if source.source not in sources:
                        raise FlowError(f"{where}: unknown option source {source.source!r}")
                    targets.append(source.next)
                    used_actions.append(source.action)
            elif isinstance(screen, InputScreen):
                if screen.min_length > screen.max_length:
                    raise FlowError(f"{where}: min_length is above max_length")
                if screen.branches and screen.action is None:
                    raise FlowError(f"{where}: branches need an action to choose them")
                targets.append(screen.next)
                targets.extend(branch.next for branch in screen.branches.values())
                used_actions.append(screen.action)
            elif isinstance(screen, RouterScreen):
                if screen.routes[-1].when is not None:
                    raise FlowError(f"{where}: the last route must have no 'when' (the default)")
                targets.extend(route.next for route in screen.routes)
                used_actions.extend(route.action for route in screen.routes)
            elif isinstance(screen, InfoScreen | EndScreen):
                pass
            for target in targets:
                _target(flow_set, flow.id, target, where)
            for action in used_actions:
                if action is not None and action not in actions:
                    raise FlowError(f"{where}: unknown action {action!r}")


def _target(flow_set: FlowSet, flow_id: str, target: str, where: str) -> None:
    try:
        ref = flow_set.resolve(flow_id, target)
    except KeyError:
        raise FlowError(f"{where}: next {target!r} names an unknown flow") from None
    if ref.screen not in flow_set.flows[ref.flow].screens:
        raise FlowError(f"{where}: next {target!r} names an unknown screen")
