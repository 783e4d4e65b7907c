"""Sending through fake phones with the real outbox dispatcher: routing by prefix, a phone that goes
silent mid-batch, the request that may have reached a phone, pacing (on a fake clock), checks."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from gateway.channels.android_sms import build
from gateway.channels.android_sms.provider import AndroidSmsProvider, Pacer
from gateway.config import SettingsError
from gateway.db.base import utcnow
from gateway.outbox.dispatcher import Dispatcher
from gateway.wiring import Gateway
from tests.channels.android_sms.conftest import MakeProvider, config
from tests.fakes.android_sms_server import FakePhone
from tests.helpers import enqueue, make_due, outbox_rows

ML = tuple(f"+2237600000{i}" for i in range(1, 7))


def dispatcher(gateway: Gateway, provider: AndroidSmsProvider, concurrency: int = 1) -> Dispatcher:
    settings = gateway.settings.model_copy(update={"sms_rate_per_s": 0, "sms_concurrency": concurrency})
    return Dispatcher(gateway.sessionmaker, provider, gateway.vault, settings)


async def test_each_number_goes_through_the_phone_of_its_country(
    gateway: Gateway, phone_ml: FakePhone, phone_bf: FakePhone, make_provider: MakeProvider
) -> None:
    provider = make_provider(config(phone_ml, "ml", "+223"), config(phone_bf, "bf", "+226"))
    await enqueue(gateway, ("+22376000001", "Réunion lundi"), ("+22670000002", "Réunion lundi"))
    assert await dispatcher(gateway, provider).dispatch_once() == 2
    assert phone_ml.sent_to("+22376000001") == ["Réunion lundi"]
    assert phone_bf.sent_to("+22670000002") == ["Réunion lundi"]
    assert not phone_ml.sent_to("+22670000002")
    assert not phone_bf.sent_to("+22376000001")
    sent = await outbox_rows(gateway)
    assert [m.status for m in sent] == ["sent", "sent"]
    # The id we gave is the one the app keeps: its webhooks find the message by it.
    assert {m.provider_message_id for m in sent} == set(phone_ml.messages) | set(phone_bf.messages)
    assert {m.provider for m in sent} == {"android_sms"}


async def test_a_number_no_phone_serves_fails_for_good(
    gateway: Gateway, phone_ml: FakePhone, make_provider: MakeProvider
) -> None:
    provider = make_provider(config(phone_ml, "ml", "+223"))
    await enqueue(gateway, ("+22670000002", "x"))
    await dispatcher(gateway, provider).dispatch_once()
    [row] = await outbox_rows(gateway)
    assert (row.status, row.failure_reason) == ("failed", "NoPhoneForNumber")


async def test_a_phone_silent_mid_batch_leaves_its_messages_to_the_other_once(
    gateway: Gateway, phone_ml: FakePhone, phone_bf: FakePhone, make_provider: MakeProvider
) -> None:
    # Two phones for Mali numbers; the first dies after taking two messages. The request it read
    # and never answered may be on it: that one waits for it, and no other phone sends it.
    first, second = config(phone_ml, "ml1", "+223"), config(phone_bf, "ml2", "+223")
    provider = make_provider(first, second, down_s=3600.0, uncertain_hold_s=0.0)
    phone_ml.faults.offline_after = 2
    await enqueue(gateway, *((n, f"Avis {i}") for i, n in enumerate(ML)))
    await dispatcher(gateway, provider).dispatch_once()  # the two phones take turns until ml1 dies
    after_first_pass = await outbox_rows(gateway)
    assert [m.status for m in after_first_pass].count("queued") == 1
    assert provider.phones["ml1"].down_until > provider.clock()  # out of rotation
    for _ in range(3):
        await make_due(gateway)
        await dispatcher(gateway, provider).dispatch_once()
    final = await outbox_rows(gateway)
    [waiting] = [m for m in final if m.status != "sent"]
    assert (waiting.status, waiting.last_error) == ("queued", "uncertain: waiting for phone ml1")
    assert (waiting.provider, waiting.provider_ref) == ("android_sms", "ml1")
    assert waiting.uncertain_at is not None
    for number in ML:
        assert len(phone_ml.sent_to(number) + phone_bf.sent_to(number)) <= 1, number
    assert (len(phone_ml.messages), len(phone_bf.messages)) == (2, 3)


async def test_a_request_that_may_have_reached_the_phone_is_not_sent_twice(
    gateway: Gateway, phone_ml: FakePhone, phone_bf: FakePhone, make_provider: MakeProvider
) -> None:
    # The phone stores the message, then the connection drops before its answer.
    provider = make_provider(config(phone_ml, "ml1", "+223"), config(phone_bf, "ml2", "+223"), down_s=3600.0)
    phone_ml.faults.drops, phone_ml.faults.keep_dropped = 1, True
    await enqueue(gateway, ("+22376000001", "Votre signalement R-7K3F"))
    await dispatcher(gateway, provider).dispatch_once()
    [row] = await outbox_rows(gateway)
    assert row.status == "queued"
    # The hold: not due again before GATEWAY_ANDROID_UNCERTAIN_HOLD_S (900 s here).
    assert row.next_attempt_at > utcnow() + timedelta(seconds=800)
    # ml1 is out of rotation; the message waits for it rather than going by ml2.
    await make_due(gateway)
    await dispatcher(gateway, provider).dispatch_once()
    [row] = await outbox_rows(gateway)
    assert (row.status, row.last_error) == ("queued", "uncertain: waiting for phone ml1")
    assert phone_bf.messages == {}
    # ml1 comes back, seen by another process (a fresh provider: nothing in memory): the same
    # id again, the app says it has it (409), and it counts as sent.
    restarted = make_provider(config(phone_ml, "ml1", "+223"), config(phone_bf, "ml2", "+223"))
    await make_due(gateway)
    await dispatcher(gateway, restarted).dispatch_once()
    [row] = await outbox_rows(gateway)
    assert row.status == "sent"
    assert list(phone_ml.messages) == [row.provider_message_id]
    assert phone_bf.messages == {}


async def test_even_after_the_hold_no_other_phone_sends_it(
    gateway: Gateway, phone_ml: FakePhone, phone_bf: FakePhone, make_provider: MakeProvider
) -> None:
    provider = make_provider(
        config(phone_ml, "ml1", "+223"), config(phone_bf, "ml2", "+223"), down_s=3600.0, uncertain_hold_s=0.0
    )
    phone_ml.faults.drops = 1  # dropped (before it was stored, but the gateway cannot know that)
    await enqueue(gateway, ("+22376000001", "x"))
    await dispatcher(gateway, provider).dispatch_once()
    for _ in range(3):
        await make_due(gateway)
        await dispatcher(gateway, provider).dispatch_once()
    [row] = await outbox_rows(gateway)
    assert (row.status, row.last_error) == ("queued", "uncertain: waiting for phone ml1")
    assert (len(phone_ml.messages), len(phone_bf.messages)) == (0, 0)
    provider.phones["ml1"].down_until = provider.clock() - 1  # back
    await make_due(gateway)
    await dispatcher(gateway, provider).dispatch_once()
    [row] = await outbox_rows(gateway)
    assert row.status == "sent"
    assert (len(phone_ml.messages), len(phone_bf.messages)) == (1, 0)


@pytest.mark.parametrize(
    ("fault", "status"),
    [("server_errors", "queued"), ("drops", "queued")],  # both uncertain: the same phone again
)
async def test_transient_faults_are_queued_again(
    fault: str, status: str, gateway: Gateway, phone_ml: FakePhone, make_provider: MakeProvider
) -> None:
    setattr(phone_ml.faults, fault, 1)
    provider = make_provider(config(phone_ml, "ml"), down_s=0.001)
    await enqueue(gateway, ("+22376000001", "x"))
    await dispatcher(gateway, provider).dispatch_once()
    [row] = await outbox_rows(gateway)
    assert (row.status, row.attempts) == (status, 1)
    await make_due(gateway)
    provider.phones["ml"].down_until = provider.clock() - 1
    await dispatcher(gateway, provider).dispatch_once()
    [row] = await outbox_rows(gateway)
    assert row.status == "sent"
    assert len(phone_ml.sent_to("+22376000001")) == 1


async def test_wrong_credentials_take_the_phone_out_and_keep_the_message(
    gateway: Gateway, phone_ml: FakePhone, make_provider: MakeProvider
) -> None:
    provider = make_provider(config(phone_ml, "ml", password="wrong-password"))
    await enqueue(gateway, ("+22376000001", "x"))
    await dispatcher(gateway, provider).dispatch_once()
    [row] = await outbox_rows(gateway)
    assert (row.status, row.last_error) == ("queued", "phone ml: HTTP 401")
    assert provider.phones["ml"].down_reason == "HTTP 401"


async def test_a_number_the_app_refuses_fails_for_good(
    gateway: Gateway, phone_ml: FakePhone, make_provider: MakeProvider
) -> None:
    provider = make_provider(config(phone_ml, "ml"))
    [result] = await provider.send("x", ["22376000001"])  # no +: the app's E.164 check refuses it
    assert result.outcome == "permanent"
    assert result.status.startswith("Rejected: Invalid phone number")
    assert "76000001" not in result.status  # the app's message names the number: masked


async def test_a_request_timing_out_is_uncertain_on_the_same_phone(
    phone_ml: FakePhone, make_provider: MakeProvider
) -> None:
    phone_ml.faults.hold = 1  # stored, then the answer never comes within the client's patience
    phone_ml.faults.keep_dropped = True
    provider = make_provider(config(phone_ml, "ml"), timeout_s=0.5)
    [result] = await provider.send("x", ["+22376000001"])
    assert (result.outcome, result.status, result.pin) == ("uncertain", "phone ml did not answer", "ml")
    assert result.message_id in phone_ml.messages
    phone_ml.release()


def test_pacing_gives_each_phone_one_slot_per_interval() -> None:
    now = [1000.0]
    pacer = Pacer(30.0, lambda: now[0])
    assert [pacer.reserve() for _ in range(3)] == [1000.0, 1030.0, 1060.0]
    now[0] = 2000.0  # idle for a while: the next goes at once, the one after waits again
    assert [pacer.reserve(), pacer.reserve()] == [2000.0, 2030.0]


async def test_sends_wait_for_their_slot_on_a_fake_clock(
    gateway: Gateway, phone_ml: FakePhone, phone_bf: FakePhone, make_provider: MakeProvider
) -> None:
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    provider = make_provider(
        config(phone_ml, "ml", "+223"),
        config(phone_bf, "bf", "+226"),
        interval_s=20.0,
        clock=lambda: now[0],
        sleep=sleep,
    )
    assert provider.rate_per_s == pytest.approx(0.1)  # two phones, one message every 20 s each
    provider.rate_per_s = (
        0.0  # the dispatcher's limiter keeps real time: this test is about the phones' slots
    )
    await enqueue(gateway, *((n, f"t{i}") for i, n in enumerate(ML[:3])), ("+22670000001", "u"))
    await dispatcher(gateway, provider, concurrency=4).dispatch_once()
    assert [m.status for m in await outbox_rows(gateway)] == ["sent"] * 4
    # Three for the Mali phone at 0, 20, 40 s; the Burkina one went at once, on its own phone.
    assert sorted(waits) == [20.0, 20.0]
    assert now[0] == 40.0


async def test_check_reports_each_phone(
    phone_ml: FakePhone, phone_bf: FakePhone, make_provider: MakeProvider
) -> None:
    phone_ml.webhooks = [{"id": "a", "url": "https://x", "event": e} for e in ("sms:received", "sms:sent")]
    provider = make_provider(config(phone_ml, "ml"), config(phone_bf, "bf", password="nope"))
    result = await provider.check()
    assert result.ok
    assert "1 of 2 phone(s) ready" in result.detail
    assert "ml: ok, health pass, webhooks missing: sms:delivered, sms:failed" in result.detail
    assert "bf: credentials refused" in result.detail
    phone_ml.go_offline()
    result = await provider.check()
    assert not result.ok
    assert "ml: unreachable" in result.detail
    assert phone_ml.password not in result.detail
    assert phone_bf.password not in result.detail


async def test_a_failing_health_check_still_counts_as_alive(
    phone_ml: FakePhone, make_provider: MakeProvider
) -> None:
    # The app answers /health with 500 when, say, there is no Internet; it can still send SMS.
    phone_ml.faults.health_fail = True
    provider = make_provider(config(phone_ml, "ml"))
    provider.phones["ml"].down_until = provider.clock() - 1
    assert await provider._usable(provider.phones["ml"])


def test_build_needs_phones(gateway: Gateway) -> None:
    with pytest.raises(SettingsError, match="GATEWAY_ANDROID_PHONES is required"):
        build(gateway.settings)
    settings = gateway.settings.model_copy(
        update={"android_phones": "ml=http://127.0.0.1:9,sms,pw,+223", "android_send_interval_s": 10.0}
    )
    provider = build(settings)
    assert (provider.name, provider.max_recipients, provider.rate_per_s) == ("android_sms", 1, 0.1)
    assert provider.phones["ml"].config.prefixes == ("+223",)


def test_nothing_is_sent_to_the_network(phone_ml: FakePhone) -> None:
    assert httpx.URL(phone_ml.url).host == "127.0.0.1"
