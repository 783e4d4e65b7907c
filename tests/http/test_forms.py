"""The hop's form reader gives exactly what urllib's parse_qsl gives, for any text at all."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.http.forms import parse_form

# Text made mostly of what forms are made of, so `%xx`, `+`, `&` and `=` meet in every order.
PIECES = [*"ab=&%+2A3Fé*#_ \x00", "%2A", "%C3%A9", "%E9", "%%"]
FORMISH = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@given(FORMISH)
def test_the_same_as_parse_qsl(text: str) -> None:
    assert parse_form(text) == dict(parse_qsl(text, keep_blank_values=True))


@given(st.text())
def test_the_same_as_parse_qsl_on_any_text(text: str) -> None:
    assert parse_form(text) == dict(parse_qsl(text, keep_blank_values=True))


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        (
            "sessionId=ATUid_1&serviceCode=%2A384%2A1234%23&phoneNumber=%2B22370000000&text=1%2A1%2ABenkadi",
            {
                "sessionId": "ATUid_1",
                "serviceCode": "*384*1234#",
                "phoneNumber": "+22370000000",
                "text": "1*1*Benkadi",
            },
        ),
        ("text=a+b&text=c", {"text": "c"}),  # the last one wins, + is a space
        ("&&text&=x", {"text": "", "": "x"}),
        ("text=%E9", {"text": "\ufffd"}),  # not UTF-8: replaced, not an error
    ],
)
def test_what_africas_talking_sends(text: str, fields: dict[str, str]) -> None:
    assert parse_form(text) == fields
