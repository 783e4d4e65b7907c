"""Summary schedules: "daily 08:00" or "weekly mon 08:00", in the committee's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.i18n.dates import time_zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PATTERN = re.compile(r"^(daily|weekly\s+(mon|tue|wed|thu|fri|sat|sun))\s+([01]?\d|2[0-3]):([0-5]\d)$")


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    weekday: int | None  # None: every day
    hour: int
    minute: int
    zone: ZoneInfo

    @property
    def period(self) -> timedelta:
        return timedelta(days=1 if self.weekday is None else 7)

    def next_after(self, moment: datetime) -> datetime:
        """The first scheduled time strictly after `moment`, in UTC (DST-safe: local wall time)."""
        local = moment.astimezone(self.zone)
        candidate = local.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        for _ in range(9):
            if candidate > local and (self.weekday is None or candidate.weekday() == self.weekday):
                return candidate.astimezone(UTC)
            candidate = (candidate + timedelta(days=1)).replace(hour=self.hour, minute=self.minute)
        raise AssertionError("no scheduled day within 9 days")


def parse_schedule(text: str, timezone: str = "Africa/Bamako") -> Schedule:
    match = _PATTERN.match(" ".join(text.lower().split()))
    if not match:
        raise ScheduleError(f"schedule {text!r}: write 'daily HH:MM' or 'weekly mon HH:MM' (mon … sun)")
    try:
        zone = time_zone(timezone)
    except ValueError as exc:
        raise ScheduleError(str(exc)) from None
    weekday = WEEKDAYS.index(match.group(2)) if match.group(2) else None
    return Schedule(weekday, int(match.group(3)), int(match.group(4)), zone)
