"""The Orange provider against the fake Orange API: tokens, sends, and every kind of failure."""

from __future__ import annotations

import pytest

from gateway.outbox.provider import CLAIM_LOST, Outgoing, ProviderError
from gateway.outbox.sending import send_request
from tests.channels.orange.conftest import MakeOrange
from tests.fakes.orange_server import FakeOrange


async def test_a_send_takes_a_token_once_and_one_request_per_number(
    orange: FakeOrange, make_orange: MakeOrange
) -> None:
    provider = make_orange()
    first = await provider.send("Réunion lundi", ["+22376000001"])
    second = await provider.send("Réunion lundi", ["+22670000002"])
    assert [r.outcome for r in first + second] == ["accepted", "accepted"]
    assert all(r.message_id and r.message_id.startswith("req-") for r in first + second)
    assert orange.token_requests == 1  # kept between requests
    assert [(s.address, s.sender_address, s.sender_name, s.message) for s in orange.sent] == [
        ("tel:+22376000001", "tel:+22370000000", "FORUM", "Réunion lundi"),
        ("tel:+22670000002", "tel:+22370000000", "FORUM", "Réunion lundi"),
    ]


async def test_a_token_that_expires_mid_broadcast_is_renewed_once(
    orange: FakeOrange, make_orange: MakeOrange
) -> None:
    provider = make_orange()
    numbers = [f"+2237600000{i}" for i in range(6)]
    results = []
    for position, number in enumerate(numbers):
        if position == 3:
            orange.expire_tokens()  # Orange's hour is up, our clock says otherwise
        results += await provider.send("Avis", [number])
    assert {r.outcome for r in results} == {"accepted"}
    assert orange.recipients() == numbers  # each once: the refused request was not delivered
    assert (orange.token_requests, orange.refused_tokens) == (2, 1)


async def test_a_token_about_to_expire_is_renewed_before_it_does(
    orange: FakeOrange, make_orange: MakeOrange
) -> None:
    orange.token_lifetime = "30"  # inside the renewal margin: every send takes a new one
    provider = make_orange()
    await provider.send("a", ["+22376000001"])
    await provider.send("b", ["+22376000002"])
    assert (orange.token_requests, orange.refused_tokens) == (2, 0)


async def test_too_fast_is_transient_with_the_wait_orange_asked(
    orange: FakeOrange, make_orange: MakeOrange
) -> None:
    orange.faults.throttled, orange.faults.retry_after = 1, "3"
    [result] = await make_orange().send("a", ["+22376000001"])
    assert (result.outcome, result.status, result.retry_after) == ("transient", "HTTP 429 (53)", 3.0)
    assert orange.sent == []


@pytest.mark.parametrize(
    ("status", "kind", "message_id"),
    [(400, "serviceException", "SVC0004"), (403, "policyException", "POL0001")],
)
async def test_refusals_are_permanent(
    status: int, kind: str, message_id: str, orange: FakeOrange, make_orange: MakeOrange
) -> None:
    orange.faults.number_errors["+22376000009"] = (status, kind, message_id, "refused")
    results = await make_orange().send("a", ["+22376000009"])
    assert [(r.outcome, r.status) for r in results] == [("permanent", message_id)]


async def test_a_refused_connection_is_transient(orange: FakeOrange, make_orange: MakeOrange) -> None:
    provider = make_orange()
    await provider.token()
    orange.stop()  # nothing listens: the request never leaves
    [result] = await send_request(provider, "a", ["+22376000001"])
    assert result.outcome == "transient"
    assert "unreachable" in result.status


async def test_server_errors_and_drops_may_have_been_taken(
    orange: FakeOrange, make_orange: MakeOrange
) -> None:
    # Orange's send is not idempotent: after a 5xx or a dropped answer the message may be there.
    provider = make_orange()
    orange.faults.server_errors = 1
    [result] = await send_request(provider, "a", ["+22376000001"])
    assert (result.outcome, result.status) == ("uncertain", "HTTP 503 (5)")
    orange.faults.drops = 1
    [result] = await send_request(provider, "a", ["+22376000001"])
    assert result.outcome == "uncertain"
    assert "did not answer" in result.status


async def test_a_slow_answer_times_out_as_uncertain(orange: FakeOrange, make_orange: MakeOrange) -> None:
    orange.faults.slow = 1
    [result] = await send_request(make_orange(timeout_s=0.5), "a", ["+22376000001"])
    assert result.outcome == "uncertain"


async def test_the_outbox_id_goes_as_client_correlator(orange: FakeOrange, make_orange: MakeOrange) -> None:
    calls: list[tuple[int, str | None, str | None]] = []

    async def confirm(message: Outgoing, ref: str | None, pin: str | None) -> bool:
        calls.append((message.id, ref, pin))
        return message.id == 41

    provider = make_orange()
    results = await provider.send_messages(
        "a", [Outgoing(41, "+22376000001"), Outgoing(42, "+22376000002")], confirm
    )
    assert [r.outcome for r in results] == ["accepted", "transient"]
    assert results[1].status == CLAIM_LOST  # the claim was lost: no request at all
    assert calls == [(41, None, "api"), (42, None, "api")]
    assert [s.client_correlator for s in orange.sent] == ["gw-41"]


async def test_wrong_keys_fail_the_token_not_the_numbers(orange: FakeOrange, make_orange: MakeOrange) -> None:
    provider = make_orange(secret="not-the-secret")
    with pytest.raises(ProviderError, match=r"refused a token: HTTP 401 \(41\)") as refused:
        await provider.send("a", ["+22376000001"])
    assert refused.value.transient  # the messages wait for the keys to be fixed
    check = await provider.check()
    assert not check.ok
    assert "41" in check.detail


async def test_check_takes_a_fresh_token(orange: FakeOrange, make_orange: MakeOrange) -> None:
    provider = make_orange()
    check = await provider.check()
    assert check.ok
    assert "token obtained" in check.detail
    assert orange.token_requests == 1
    orange.faults.token_errors = 1
    assert not (await provider.check()).ok
