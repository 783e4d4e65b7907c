"""A session's state as the lean path writes and reads it (orjson) reads back the same, and the
same as json reads it: rows are written by both paths and read by both."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gateway.ussd.store import dump_state, load_state

# What a state holds: text a caller typed (any character but a lone surrogate, which no form
# decodes to), whole numbers (area and contact ids), flags, nothing, and nesting.
scalars = st.one_of(
    st.text(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(), inner, max_size=5)),
    max_leaves=30,
)
states = st.dictionaries(st.text(), values, max_size=8)


@given(states)
def test_a_state_reads_back_as_written(state: dict[str, Any]) -> None:
    written = dump_state(state)
    assert load_state(written) == state
    assert json.loads(written) == state  # as the full path's ORM reads a row


@given(states)
def test_a_state_the_full_path_wrote_reads_the_same(state: dict[str, Any]) -> None:
    assert load_state(json.dumps(state)) == state
    assert load_state(json.dumps(state).encode()) == state


def test_history_pairs_and_number_keys_are_written_as_json_writes_them() -> None:
    state = {"history": [("report:topic", 0)], "data": {1: "a"}}
    assert json.loads(dump_state(state)) == json.loads(json.dumps(state))


def test_the_text_is_compact_and_keeps_letters() -> None:
    assert dump_state({"t": "Kɔnɔ ɲɛ é"}) == '{"t":"Kɔnɔ ɲɛ é"}'
