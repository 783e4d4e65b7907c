"""What can go wrong with a broadcast or a meeting, by who has to act on it."""

from __future__ import annotations


class BroadcastError(ValueError):
    """Bad input from an organiser: `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Refused(RuntimeError):
    """Well-formed, but not possible in the state things are in (a cancelled broadcast resumed,
    a meeting edited after its notice went out)."""


class BrokenBroadcast(RuntimeError):
    """What a broadcast was made from can no longer be turned into text (a meeting stored with a
    time zone that does not exist): no one can be sent it until an organiser fixes it."""
