"""A 422 says where and why, and echoes an input only when it is short: a megabyte sent is not a
megabyte answered, and nothing that is not JSON reaches the encoder."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError, field_validator

from gateway.api.validation import ECHO_LIMIT, public_errors, short_json
from gateway.wiring import Gateway
from tests.api.test_committees_api import token

MEETINGS = "/api/v1/meetings"
MEETING = {"title": {"fr": "Forum"}, "place": "Zégoua", "starts_at": "2030-01-15T09:00:00Z"}


async def test_a_large_invalid_body_is_not_echoed(client: httpx.AsyncClient, gateway: Gateway) -> None:
    organiser = await token(gateway, "organiser")
    huge = "x" * 900_000  # under the 1 MiB body limit, far over the field's 160
    response = await client.post(MEETINGS, headers=organiser, json={**MEETING, "place": huge})
    assert response.status_code == 422
    assert len(response.content) < 1000
    [error] = response.json()["detail"]
    assert error == {
        "loc": ["body", "place"],
        "msg": "String should have at most 160 characters",
        "type": "string_too_long",
        "ctx": {"max_length": 160},
    }


async def test_a_huge_key_is_clipped_where_it_is_named(client: httpx.AsyncClient, gateway: Gateway) -> None:
    organiser = await token(gateway, "organiser")
    key = "k" * 500_000
    response = await client.post(MEETINGS, headers=organiser, json={**MEETING, "title": {key: "Forum"}})
    assert response.status_code == 422
    assert len(response.content) < 2000
    locations = [error["loc"] for error in response.json()["detail"]]
    assert ["body", "title", "k" * ECHO_LIMIT + "…", "[key]"] in locations


async def test_a_short_input_is_still_shown(client: httpx.AsyncClient, gateway: Gateway) -> None:
    viewer = await token(gateway, "viewer")
    response = await client.get("/api/v1/reports", headers=viewer, params={"topic": "weather"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["input"], error["type"]) == (["query", "topic"], "weather", "literal_error")


class Checked(BaseModel):
    when: str

    @field_validator("when")
    @classmethod
    def _known(cls, value: str) -> str:
        raise ValueError(f"unknown moment {value!r}")


def pydantic_errors(value: str) -> list[Any]:
    try:
        Checked(when=value)
    except ValidationError as exc:
        return exc.errors()
    raise AssertionError("Checked accepted a value")


def test_an_exception_in_ctx_is_left_out_and_the_rest_is_json() -> None:
    [error] = public_errors(pydantic_errors("soon"))
    assert "ctx" not in error  # pydantic puts the ValueError itself there
    assert error["input"] == "soon"
    json.dumps(error, allow_nan=False)


def test_a_long_message_is_clipped() -> None:
    [error] = public_errors(pydantic_errors("y" * 10_000))
    assert "input" not in error
    assert len(error["msg"]) <= 301


def test_errors_are_shown_without_url_or_unknown_keys() -> None:
    errors = [{"loc": ("body", 3), "msg": "bad", "type": "x", "url": "https://…", "input": float("nan")}]
    assert public_errors(errors) == [{"loc": ["body", 3], "msg": "bad", "type": "x"}]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=150),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=20), children, max_size=6)
    ),
    max_leaves=30,
)


@given(json_values)
def test_short_json_is_exactly_the_json_that_fits(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False, allow_nan=False) if _finite(value) else None
    expected = text if text is not None and len(text) <= ECHO_LIMIT else None
    assert short_json(value) == expected


@given(st.integers(min_value=1, max_value=100_000))
def test_short_json_is_cheap_on_deep_or_wide_values(size: int) -> None:
    deep: Any = []
    for _ in range(size):
        deep = [deep]
    assert short_json(deep) is None or size < 50
    assert short_json([0] * size) is None or size < 50
    assert short_json({str(i): i for i in range(size)}) is None or size < 20


def _finite(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True
