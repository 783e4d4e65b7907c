"""Property-based: whatever a caller types, hop after hop, the answer is a valid screen and
nothing half-made is stored."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gateway.i18n.gsm7 import is_gsm7, septets
from gateway.reports.models import Report
from gateway.reports.service import TOPICS, URGENCIES
from gateway.wiring import Gateway
from tests.helpers import UssdCaller, empty_tables

# Menu keys are the likeliest inputs; free text, emoji, '*', huge and empty strings the nastiest.
answers = st.one_of(
    st.sampled_from(["0", "00", "99", "1", "2", "3", "4", "5", "6", "7", "9", "", " ", "*", "**", "1*2"]),
    st.text(max_size=40),
    st.text(alphabet="ɛɔɲŋ😀é*#", min_size=1, max_size=20),
    st.integers(min_value=-5, max_value=200).map(str),
    st.just("x" * 600),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inputs=st.lists(answers, min_size=1, max_size=25))
async def test_any_input_sequence_gives_valid_screens(
    inputs: list[str], client: httpx.AsyncClient, gateway: Gateway
) -> None:
    caller = UssdCaller(client, phone="+22670000099")
    screen = await caller.dial()
    for answer in inputs:
        if screen.startswith("END "):
            screen = await caller.dial()
        screen = await caller.send(answer)
        body = screen[4:]
        assert is_gsm7(body)
        assert septets(body) <= gateway.settings.ussd_screen_limit
    async with gateway.sessionmaker() as db, db.begin():
        for report in (await db.execute(select(Report))).scalars():
            assert report.topic in TOPICS
            assert report.urgency in URGENCIES
            assert report.area_id is not None
            assert len(report.description) >= 3
            assert report.reference.startswith("R-")
        await empty_tables(db)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    form=st.dictionaries(
        st.sampled_from(["sessionId", "serviceCode", "phoneNumber", "networkCode", "text", "other"]),
        st.text(max_size=300),
        max_size=6,
    )
)
async def test_any_form_gets_a_usable_answer(form: dict[str, str], client: httpx.AsyncClient) -> None:
    response = await client.post("/callbacks/africastalking/ussd", data=form)
    assert response.status_code == 200
    assert response.text.startswith(("CON ", "END "))
