"""GATEWAY_ROUTES as tables: what each rule set says for each message, and what it refuses."""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.outbox.routing import RouteError, parse_routes

CHANNELS = ("africastalking", "orange", "android_sms")
ROUTES = "kind=alert: orange>africastalking; +226: android_sms>orange; +223 kind=notice: orange; *: last>africastalking"


class Case(NamedTuple):
    label: str
    phone: str
    kind: str
    last: str | None
    route: tuple[str, ...]


CASES = [
    Case("an alert, anywhere", "+22670000001", "alert", None, ("orange", "africastalking")),
    Case("Burkina Faso", "+22670000001", "notice", None, ("android_sms", "orange")),
    Case("a notice to Mali", "+22376000001", "notice", None, ("orange",)),
    Case(
        "a reply to Mali, wrote through the phone",
        "+22376000001",
        "reply",
        "android_sms",
        ("android_sms", "africastalking"),
    ),
    Case("a reply to Mali, never wrote", "+22376000001", "reply", None, ("africastalking",)),
    Case("last is the same as the fallback", "+22376000001", "reply", "africastalking", ("africastalking",)),
    Case("last is a channel no longer configured", "+22376000001", "reply", "hubtel", ("africastalking",)),
    Case("elsewhere", "+33600000000", "receipt", None, ("africastalking",)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_routes(case: Case) -> None:
    table = parse_routes(ROUTES, CHANNELS)
    assert table.route(case.phone, case.kind, case.last) == case.route
    assert table.uses_last


def test_no_routes_means_every_channel_in_order() -> None:
    table = parse_routes("", CHANNELS)
    assert table.route("+22376000001", "notice") == CHANNELS
    assert not table.uses_last
    assert parse_routes("  ;  ", ("log",)).route("+22376000001", "reply") == ("log",)


def test_a_message_no_rule_matches_takes_every_channel() -> None:
    table = parse_routes("+226: orange", CHANNELS)
    assert table.route("+22376000001", "notice") == CHANNELS


def test_prefixes_and_kinds_can_be_lists() -> None:
    table = parse_routes("+223,+226 & kind=alert,summary: android_sms; *: orange", CHANNELS)
    assert table.route("+22670000001", "summary") == ("android_sms",)
    assert table.route("+22376000001", "alert") == ("android_sms",)
    assert table.route("+22376000001", "notice") == ("orange",)
    assert table.route("+33600000000", "alert") == ("orange",)


class Planned(NamedTuple):
    label: str
    tried: tuple[str, ...]
    down: tuple[str, ...]
    channel: str
    has_next: bool


PLANS = [
    Planned("first of the route", (), (), "android_sms", True),
    Planned("the first refused it", ("android_sms",), (), "orange", False),
    Planned("the first is down", (), ("android_sms",), "orange", True),
    Planned("every one down: the first, not none", (), ("android_sms", "orange"), "android_sms", True),
    Planned("every one tried: the last again", ("android_sms", "orange"), (), "orange", False),
]


@pytest.mark.parametrize("case", PLANS, ids=lambda c: c.label)
def test_plans(case: Planned) -> None:
    table = parse_routes(ROUTES, CHANNELS)
    plan = table.plan("+22670000001", "notice", tried=case.tried, down=case.down)
    assert (plan.channel, plan.has_next) == (case.channel, case.has_next)


@pytest.mark.parametrize(
    ("routes", "says"),
    [
        ("+226: hubtel", "unknown channel 'hubtel'"),
        ("+226 orange", "write it as CONDITIONS: channel>channel"),
        ("+226:", "name at least one channel"),
        ("+226: orange>", "name at least one channel"),
        ("kind=bulk: orange", "unknown kind 'bulk'"),
        ("226: orange", "unknown condition '226'"),
        ("+2a6: orange", "'+2a6' is not a number prefix"),
        ("*: last", "'last' needs a channel after it"),
    ],
)
def test_bad_routes_are_refused_with_the_rule_named(routes: str, says: str) -> None:
    with pytest.raises(RouteError, match=re.escape(says)) as refused:
        parse_routes(routes, CHANNELS)
    assert repr(routes.split(";")[0].strip()) in str(refused.value)


@given(st.text(max_size=80))
def test_any_text_is_a_table_or_a_route_error(text: str) -> None:
    try:
        table = parse_routes(text, CHANNELS)
    except RouteError:
        return
    route = table.route("+22376000001", "notice", "orange")
    assert route
    assert set(route) <= set(CHANNELS)
