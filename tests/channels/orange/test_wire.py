"""Orange's wire format, as tables: what we send, and what each answer means."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.channels.orange import wire


def test_send_path_carries_the_sender_url_encoded() -> None:
    assert wire.send_path("+22370000000") == "/smsmessaging/v1/outbound/tel%3A%2B22370000000/requests"
    assert wire.send_path("22670000000") == "/smsmessaging/v1/outbound/tel%3A%2B22670000000/requests"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            None,
            {
                "outboundSMSMessageRequest": {
                    "address": "tel:+22376000001",
                    "senderAddress": "tel:+22370000000",
                    "outboundSMSTextMessage": {"message": "Réunion lundi"},
                }
            },
        ),
        (
            "FORUM",
            {
                "outboundSMSMessageRequest": {
                    "address": "tel:+22376000001",
                    "senderAddress": "tel:+22370000000",
                    "outboundSMSTextMessage": {"message": "Réunion lundi"},
                    "senderName": "FORUM",
                }
            },
        ),
    ],
)
def test_send_body(name: str | None, expected: dict[str, Any]) -> None:
    assert wire.send_body("+22370000000", "+22376000001", "Réunion lundi", name) == expected


class Answer(NamedTuple):
    label: str
    status: int
    body: Any
    outcome: str
    word: str
    renew: bool = False


ANSWERS = [
    Answer(
        "expired token",
        401,
        {"code": 42, "message": "Expired credentials"},
        "transient",
        "HTTP 401 (42)",
        True,
    ),
    Answer(
        "bad keys", 401, {"code": 41, "message": "Invalid credentials"}, "transient", "HTTP 401 (41)", True
    ),
    Answer(
        "invalid address",
        400,
        {"requestError": {"serviceException": {"messageId": "SVC0004", "text": "No valid addresses"}}},
        "permanent",
        "SVC0004",
    ),
    Answer(
        "policy: no bundle left",
        403,
        {"requestError": {"policyException": {"messageId": "POL0001", "text": "A policy error occurred"}}},
        "permanent",
        "POL0001",
    ),
    Answer("too fast", 429, {"code": 53, "message": "Too many requests"}, "transient", "HTTP 429 (53)"),
    # A send is not idempotent: a 5xx may come after Orange took it (retried through Orange only).
    Answer("unavailable", 503, {"code": 5, "message": "Service unavailable"}, "uncertain", "HTTP 503 (5)"),
    Answer("server error, no JSON", 500, b"<html>oops</html>", "uncertain", "HTTP 500"),
    Answer(
        "sender not ours", 404, {"code": 60, "message": "Resource not found"}, "transient", "HTTP 404 (60)"
    ),
    Answer("other 4xx", 400, {}, "permanent", "HTTP 400"),
]


@pytest.mark.parametrize("case", ANSWERS, ids=lambda c: c.label)
def test_answers_are_classified(case: Answer) -> None:
    body = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    failure = wire.classify(case.status, body)
    assert (failure.outcome, failure.status, failure.renew_token) == (case.outcome, case.word, case.renew)


@pytest.mark.parametrize(
    ("payload", "location", "expected"),
    [
        ({"outboundSMSMessageRequest": {"resourceURL": "https://x/requests/abc123"}}, None, "abc123"),
        ({"outboundSMSMessageRequest": {"resourceURL": "https://x/requests/abc123/"}}, None, "abc123"),
        ({}, "https://x/requests/from-location", "from-location"),
        (None, None, None),
        ({"outboundSMSMessageRequest": {"resourceURL": 12}}, None, None),
    ],
)
def test_message_id(payload: Any, location: str | None, expected: str | None) -> None:
    assert wire.message_id(payload, location) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), ("0.5", 0.5), (None, 0.2), ("Wed, 21 Oct 2015", 0.2), ("99999", 3600.0)],
)
def test_retry_after(header: str | None, expected: float) -> None:
    assert wire.retry_after(header, 0.2) == expected


@given(st.integers(min_value=100, max_value=599), st.binary(max_size=300))
def test_any_answer_is_classified_without_raising(status: int, body: bytes) -> None:
    failure = wire.classify(status, body)
    assert failure.outcome == ("uncertain" if status >= 500 else failure.outcome)
    assert failure.outcome in ("transient", "permanent", "uncertain")
    assert 0 < len(failure.status) <= 64


@given(
    st.recursive(st.none() | st.text() | st.integers(), lambda c: st.dictionaries(st.text(), c) | st.lists(c))
)
def test_any_payload_gives_an_id_or_none(payload: Any) -> None:
    found = wire.message_id(payload, None)
    assert found is None or 0 < len(found) <= 128
