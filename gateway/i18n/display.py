"""What a phone shows (one USSD page, one SMS) and the messages on it: the unit review sheets
print and per-message length limits are derived from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """One message on a display: the text its catalog gave (before placeholders are filled)
    and how many characters the display could still take."""

    msgid: str
    text: str
    slack: int


@dataclass(frozen=True)
class Display:
    kind: str  # "ussd" or "sms"
    where: str  # "report:topic" for a screen, the message id for an SMS
    variant: str  # "" or what sets this rendering apart: a page, a hint, no "0 back"
    text: str  # exactly what the handset shows (GSM-7 spelling, cut at the limit)
    units: int  # septets (UTF-16 units for a UCS-2 SMS), before any cut
    budget: int  # the screen limit, or what the French SMS's segments hold
    parts: tuple[Part, ...]
    on_sheet: bool = True  # variants that only tighten limits are left off the printed sheet

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.where, self.variant)


def derive_limits(displays: Iterable[Display], families: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Per message, the longest text (in characters, placeholders as written) that keeps every
    display it appears on within its budget, the rest of each display as it is now.

    A message of a family (the report statuses) stands in a slot one of its members was
    sampled in: members never sampled get the slot's room.
    """
    limits: dict[str, int] = {}
    for display in displays:
        for part in display.parts:
            room = len(part.text) + part.slack
            limits[part.msgid] = min(limits.get(part.msgid, room), room)
    for members in families.values():
        members = list(members)
        known = [limits[m] for m in members if m in limits]
        for member in members:
            if member not in limits and known:
                limits[member] = min(known)
    return limits
