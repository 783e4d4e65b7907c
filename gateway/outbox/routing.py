"""Which channel each outgoing SMS takes: GATEWAY_ROUTES, read once and checked at start.

    GATEWAY_ROUTES="kind=alert: orange>africastalking; +226: orange; *: last>africastalking"

Rules are separated by `;` and tried in order; the first whose conditions all hold gives the
message its route. Conditions (joined by spaces or `&`): `kind=alert` (or `kind=alert,summary`:
any of them), `+223` (the number starts with it; `+223,+226`: any of them), `*` (always). A
route is channels separated by `>`: the first that is not down and has not refused the message
sends it; `last` stands for the channel the contact last wrote in (skipped when unknown). A
message no rule matches takes every configured channel in order. Nothing here knows a provider.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.outbox.provider import SmsProvider
from gateway.outbox.service import KINDS

LAST = "last"
_PREFIX = re.compile(r"^\+[1-9][0-9]{0,14}$")

# phone hashes -> the channel each one last wrote in (gateway/channels/registry.py provides it).
LastChannels = Callable[[AsyncSession, Sequence[str]], Awaitable[dict[str, str]]]


class RouteError(ValueError):
    """A route that cannot be followed, said in one line naming the rule."""


@dataclass(frozen=True)
class Rule:
    text: str
    chain: tuple[str, ...]
    kinds: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def matches(self, phone: str, kind: str) -> bool:
        if self.kinds and kind not in self.kinds:
            return False
        return not self.prefixes or phone.startswith(self.prefixes)


@dataclass(frozen=True)
class Plan:
    channel: str
    # Another channel of the route is left to try if this one refuses the message or keeps failing.
    has_next: bool


@dataclass(frozen=True)
class RoutingTable:
    rules: tuple[Rule, ...]
    default: tuple[str, ...]

    @property
    def uses_last(self) -> bool:
        return any(LAST in rule.chain for rule in self.rules)

    def route(self, phone: str, kind: str, last: str | None = None) -> tuple[str, ...]:
        """The channels a message may take, in order of preference, `last` filled in."""
        chain = next((rule.chain for rule in self.rules if rule.matches(phone, kind)), self.default)
        filled = (last if name == LAST else name for name in chain)
        return tuple(dict.fromkeys(name for name in filled if name and name in self.default))

    def plan(
        self,
        phone: str,
        kind: str,
        *,
        last: str | None = None,
        tried: Collection[str] = (),
        down: Collection[str] = (),
        pinned: str | None = None,
    ) -> Plan:
        """The channel for this attempt: the first of the route that has not given up on the
        message and is not down; a down one rather than none (its failure is then retried).
        `pinned`: an earlier request through that channel may have been taken (an uncertain
        result): that channel again, down or not, and no other after it."""
        if pinned is not None and pinned in self.default:
            return Plan(pinned, has_next=False)
        route = self.route(phone, kind, last) or self.default
        left = [name for name in route if name not in tried] or [route[-1]]
        up = [name for name in left if name not in down]
        return Plan(up[0] if up else left[0], has_next=len(left) > 1)


def parse_routes(text: str, channels: Sequence[str]) -> RoutingTable:
    """The table for GATEWAY_ROUTES over the configured `channels`; RouteError names what is wrong."""
    if not channels:
        raise RouteError("no channel is configured")
    known = tuple(dict.fromkeys(channels))
    rules = [_rule(part.strip(), known) for part in text.split(";") if part.strip()]
    return RoutingTable(tuple(rules), known)


def _rule(text: str, channels: tuple[str, ...]) -> Rule:
    match, colon, chain_text = text.partition(":")
    if not colon:
        raise RouteError(f"route {text!r}: write it as CONDITIONS: channel>channel (e.g. '+226: orange')")
    chain = tuple(name.strip() for name in chain_text.split(">"))
    if not chain or any(not name for name in chain):
        raise RouteError(f"route {text!r}: name at least one channel after ':', separated by '>'")
    for name in chain:
        if name != LAST and name not in channels:
            raise RouteError(
                f"route {text!r}: unknown channel {name!r} "
                f"(configured: {', '.join(channels)}; or 'last', the channel the contact last wrote in)"
            )
    if all(name == LAST for name in chain):
        raise RouteError(f"route {text!r}: 'last' needs a channel after it for contacts who never wrote")
    kinds: set[str] = set()
    prefixes: list[str] = []
    for condition in re.split(r"[\s&]+", match.strip()):
        if condition in ("", "*"):
            continue
        if condition.startswith("kind="):
            for kind in condition.removeprefix("kind=").split(","):
                if kind not in KINDS:
                    raise RouteError(f"route {text!r}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
                kinds.add(kind)
        elif condition.startswith("+"):
            for prefix in condition.split(","):
                if not _PREFIX.match(prefix):
                    raise RouteError(f"route {text!r}: {prefix!r} is not a number prefix such as +226")
                prefixes.append(prefix)
        else:
            raise RouteError(f"route {text!r}: unknown condition {condition!r} (kind=KIND, +PREFIX or *)")
    return Rule(text, chain, frozenset(kinds), tuple(prefixes))


@dataclass
class ChannelSet:
    """The channels a process sends through, and the routes between them."""

    providers: dict[str, SmsProvider]
    routes: RoutingTable
    last_channels: LastChannels | None = None
    # Built by the registry; kept for `gateway channels check` and /readyz.
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.names = tuple(self.providers)
        missing = set(self.routes.default) - set(self.providers)
        if missing:
            raise RouteError(f"route names channels with no provider: {', '.join(sorted(missing))}")

    @classmethod
    def single(cls, provider: SmsProvider) -> ChannelSet:
        """One provider and no routing: what GATEWAY_PROVIDER alone means."""
        return cls({provider.name: provider}, RoutingTable((), (provider.name,)))

    @property
    def primary(self) -> SmsProvider:
        return self.providers[self.routes.default[0]]
