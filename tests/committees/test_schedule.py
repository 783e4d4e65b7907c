from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.committees.schedule import ScheduleError, parse_schedule


@pytest.mark.parametrize(
    ("text", "zone", "now", "expected"),
    [
        (
            "daily 08:00",
            "Africa/Bamako",
            datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
            datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
        ),
        (
            "daily 08:00",
            "Africa/Bamako",
            datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
            datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
        ),
        (
            "weekly mon 08:00",
            "Africa/Bamako",
            datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
            datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        ),
        (
            "Weekly  MON 8:30",
            "Africa/Ouagadougou",
            datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
            datetime(2026, 11, 23, 8, 30, tzinfo=UTC),
        ),
        (
            "daily 08:00",
            "Europe/Paris",
            datetime(2026, 11, 24, 7, 30, tzinfo=UTC),
            datetime(2026, 11, 25, 7, 0, tzinfo=UTC),
        ),
    ],
)
def test_next_after(text: str, zone: str, now: datetime, expected: datetime) -> None:
    assert parse_schedule(text, zone).next_after(now) == expected


@pytest.mark.parametrize(
    ("text", "zone", "message"),
    [
        ("hourly", "Africa/Bamako", "write 'daily HH:MM'"),
        ("weekly someday 08:00", "Africa/Bamako", "write 'daily HH:MM'"),
        ("daily 25:00", "Africa/Bamako", "write 'daily HH:MM'"),
        ("daily 08:00", "Mars/Olympus", "unknown time zone"),
    ],
)
def test_bad_schedules(text: str, zone: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(text, zone)
