"""What a provider's answer does to a message's row (outbox/recording.py, row_update)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.outbox.claims import Claimed
from gateway.outbox.provider import RecipientResult
from gateway.outbox.recording import row_update

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
FAILED = RecipientResult("+22670000001", "transient", "HTTP 503")


@pytest.mark.parametrize(
    ("last_channel", "failures_there", "moves_on", "counted"),
    [
        ("orange", 2, True, 0),  # a third failure on orange: on to the next channel
        ("orange", 1, False, 2),
        (None, 0, False, 1),  # never sent before
        # Two failures on africastalking (down since): orange's first failure is its first.
        ("africastalking", 2, False, 1),
    ],
)
def test_failures_count_toward_moving_on_only_on_the_channel_that_had_them(
    last_channel: str | None, failures_there: int, moves_on: bool, counted: int
) -> None:
    message = Claimed(
        7,
        FAILED.phone,
        "Réunion",
        attempts=3,
        scrub=False,
        channel_attempts=failures_there,
        provider=last_channel,
    )
    values = row_update(
        message,
        FAILED,
        NOW,
        provider="orange",
        max_attempts=12,
        retry_base_s=10,
        has_next=True,
        fallback_after=3,
    )
    assert values["status"] == "queued"
    assert values["channel_attempts"] == counted
    assert ("tried_channels" in values) is moves_on
