"""The app's webhook signature and payloads, without a server: tables, and hypothesis properties."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.channels.android_sms.webhooks import (
    Ignored,
    ReceivedSms,
    StatusUpdate,
    WebhookError,
    parse,
    signature,
    verify,
)

KEY = "android-signing-key-for-tests-0123"
NOW = 1_790_000_000
BODY = b'{"deviceId":"d","event":"sms:received","id":"e1","payload":{}}'


def test_the_signature_is_the_apps_construction() -> None:
    # docs.sms-gate.app (features/webhooks, "Payload Signing"), Python example, verbatim logic.
    import hashlib
    import hmac

    expected = hmac.new(KEY.encode(), (BODY.decode() + str(NOW)).encode(), hashlib.sha256).hexdigest()
    assert signature(KEY, BODY, str(NOW)) == expected


@dataclass
class SignatureCase:
    label: str
    body: bytes = BODY
    timestamp: str | None = str(NOW)
    signed_body: bytes = BODY
    signed_timestamp: str = str(NOW)
    key: str = KEY
    given: str | None = None  # the X-Signature header; None: the right one for signed_*
    says: str = ""


SIGNATURES = [
    SignatureCase("good"),
    SignatureCase("upper-case hex", given=signature(KEY, BODY, str(NOW)).upper()),
    SignatureCase("4 minutes old", timestamp=str(NOW - 240), signed_timestamp=str(NOW - 240)),
    SignatureCase("6 minutes old", timestamp=str(NOW - 360), signed_timestamp=str(NOW - 360), says="window"),
    SignatureCase(
        "6 minutes ahead", timestamp=str(NOW + 360), signed_timestamp=str(NOW + 360), says="window"
    ),
    SignatureCase("timestamp changed after signing", timestamp=str(NOW + 1), says="bad signature"),
    SignatureCase("body tampered", body=BODY.replace(b"e1", b"e2"), says="bad signature"),
    SignatureCase("a space added", body=BODY + b" ", says="bad signature"),
    SignatureCase("another key", key="another-key-of-enough-length", says="bad signature"),
    SignatureCase("no timestamp", timestamp=None, says="missing"),
    SignatureCase("no signature", given="", says="missing"),
    SignatureCase("timestamp in milliseconds", timestamp=str(NOW * 1000), says="Unix seconds"),
    SignatureCase("timestamp not a number", timestamp="yesterday", says="Unix seconds"),
    SignatureCase("signature not hex", given="é" * 64, says="bad signature"),
]


@pytest.mark.parametrize("case", SIGNATURES, ids=lambda c: c.label)
def test_signatures(case: SignatureCase) -> None:
    header = (
        case.given if case.given is not None else signature(case.key, case.signed_body, case.signed_timestamp)
    )
    if not case.says:
        verify(KEY, case.body, case.timestamp, header, NOW, 300)
        return
    with pytest.raises(WebhookError) as refused:
        verify(KEY, case.body, case.timestamp, header, NOW, 300)
    assert refused.value.status == 401
    assert case.says in refused.value.message


def envelope(event: str, payload: Any, **extra: Any) -> bytes:
    data = {"deviceId": "ffffffffceb0b1db0000018e937c815b", "event": event, "id": "Ey6ECgOkVVFjz3CL48B8C"}
    data |= {"payload": payload, "webhookId": "LreFUt-Z3sSq0JufY9uWB", **extra}
    return json.dumps(data).encode()


RECEIVED = {
    "messageId": "abc123",
    "message": "Vol de bétail à Kadiolo",
    "sender": "+22376000001",
    "recipient": "+22370000099",
    "phoneNumber": "+22376000001",
    "simNumber": 1,
    "receivedAt": "2026-11-24T08:34:18.000+00:00",
}


@dataclass
class ParseCase:
    label: str
    body: bytes
    kind: type | None = None  # what parse returns; None: it refuses
    status: int = 400
    says: str = ""


PAYLOADS = [
    ParseCase("received", envelope("sms:received", RECEIVED), ReceivedSms),
    ParseCase(
        "received, before sender/recipient (phoneNumber only)",
        envelope("sms:received", {k: v for k, v in RECEIVED.items() if k not in ("sender", "recipient")}),
        ReceivedSms,
    ),
    ParseCase(
        "received, recipient null", envelope("sms:received", {**RECEIVED, "recipient": None}), ReceivedSms
    ),
    ParseCase(
        "received without a sender",
        envelope("sms:received", {k: v for k, v in RECEIVED.items() if k not in ("sender", "phoneNumber")}),
        says="field 'payload.sender' required",
    ),
    ParseCase("received, empty text", envelope("sms:received", {**RECEIVED, "message": " "}), Ignored),
    ParseCase(
        "received, text not a string",
        envelope("sms:received", {**RECEIVED, "message": 12}),
        says="field 'payload.message' must be a string",
    ),
    ParseCase(
        "received, 5,000 characters",
        envelope("sms:received", {**RECEIVED, "message": "x" * 5000}),
        status=413,
        says="too long",
    ),
    ParseCase("sent", envelope("sms:sent", {"messageId": "gw1", "partsCount": 1}), StatusUpdate),
    ParseCase("delivered", envelope("sms:delivered", {"messageId": "gw1"}), StatusUpdate),
    ParseCase(
        "failed", envelope("sms:failed", {"messageId": "gw1", "reason": "Network error"}), StatusUpdate
    ),
    ParseCase("cancelled", envelope("sms:cancelled", {"messageId": "gw1"}), StatusUpdate),
    ParseCase(
        "delivered without messageId",
        envelope("sms:delivered", {}),
        says="field 'payload.messageId' required",
    ),
    ParseCase("ping", envelope("system:ping", {"health": {}}), Ignored),
    ParseCase("an event a newer app adds", envelope("rcs:received", {}), Ignored),
    ParseCase("no event", json.dumps({"id": "x", "payload": {}}).encode(), says="field 'event' required"),
    ParseCase("no id", json.dumps({"event": "sms:sent", "payload": {}}).encode(), says="field 'id' required"),
    ParseCase("payload a list", envelope("sms:received", []), says="field 'payload' must be an object"),
    ParseCase("not JSON", b"event=sms:received", says="body is not JSON"),
    ParseCase("not UTF-8", b"\xff\xfe{}", says="body is not JSON"),
    ParseCase("a JSON list", b"[]", says="must be a JSON object"),
    ParseCase("deeply nested", b"[" * 100_000, says="body is not JSON"),
]


@pytest.mark.parametrize("case", PAYLOADS, ids=lambda c: c.label)
def test_payloads(case: ParseCase) -> None:
    if case.kind is not None:
        assert isinstance(parse(case.body), case.kind)
        return
    with pytest.raises(WebhookError) as refused:
        parse(case.body)
    assert refused.value.status == case.status
    assert case.says in refused.value.message


def test_a_received_sms_keeps_what_the_app_said() -> None:
    event = parse(envelope("sms:received", RECEIVED))
    assert isinstance(event, ReceivedSms)
    assert (event.sender, event.text, event.recipient) == (
        "+22376000001",
        RECEIVED["message"],
        "+22370000099",
    )
    # The same SMS reported under another event id (a second registration) has the same key.
    again = parse(envelope("sms:received", RECEIVED, id="another-event-id"))
    assert isinstance(again, ReceivedSms)
    assert again.dedupe_key == event.dedupe_key
    later = parse(envelope("sms:received", {**RECEIVED, "receivedAt": "2026-11-24T08:35:18.000+00:00"}))
    assert isinstance(later, ReceivedSms)
    assert later.dedupe_key != event.dedupe_key  # the app's content id may collide; the time with it not


def test_status_events_map_to_the_outbox_words() -> None:
    words = {e: parse(envelope(e, {"messageId": "gw1"})) for e in ("sms:sent", "sms:delivered", "sms:failed")}
    assert {e: u.status for e, u in words.items() if isinstance(u, StatusUpdate)} == {
        "sms:sent": "sent",
        "sms:delivered": "delivered",
        "sms:failed": "failed",
    }


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    ["deviceId", "event", "id", "payload", "webhookId", "messageId", "message", "sender"]
)
EVENTS = st.sampled_from(["sms:received", "sms:sent", "sms:delivered", "sms:failed", "system:ping", ""])


@given(body=st.binary(max_size=300))
def test_any_bytes_are_parsed_or_refused_with_a_4xx(body: bytes) -> None:
    status = 200
    try:
        parse(body)
    except WebhookError as exc:
        status = exc.status
    assert status == 200 or 400 <= status < 500


@given(
    event=EVENTS | st.text(max_size=20),
    payload=st.dictionaries(FIELDS | st.text(max_size=10), JSON_VALUES, max_size=8) | JSON_VALUES,
    extra=st.dictionaries(FIELDS, JSON_VALUES, max_size=4),
)
def test_any_envelope_is_parsed_or_refused_with_a_4xx(
    event: str, payload: Any, extra: dict[str, Any]
) -> None:
    body = json.dumps({"event": event, "id": "e", "payload": payload, **extra}).encode()
    try:
        result = parse(body)
    except WebhookError as exc:
        refused = exc.status
    else:
        refused = 0
    if refused:
        assert 400 <= refused < 500
        return
    if isinstance(result, ReceivedSms):
        assert result.sender
        assert result.text.strip()
    if isinstance(result, StatusUpdate):
        assert result.message_id
        assert result.status in ("sent", "delivered", "failed")


@given(body=st.binary(min_size=1, max_size=200), position=st.integers(min_value=0), flip=st.integers(1, 255))
def test_any_change_to_a_signed_body_is_refused(body: bytes, position: int, flip: int) -> None:
    good = signature(KEY, body, str(NOW))
    verify(KEY, body, str(NOW), good, NOW, 300)
    index = position % len(body)
    tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    with pytest.raises(WebhookError):
        verify(KEY, tampered, str(NOW), good, NOW, 300)
