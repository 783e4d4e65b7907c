"""What can go wrong with a broadcast or a meeting, by who has to act on it."""

from __future__ import annotations


class BroadcastError(ValueError):
    """Bad input from an organiser: `field` names what to fix, `code` which rule it broke (for a
    reader that words it itself, as the console does in French), `values` what that wording names.
    The message is the API's English."""

    def __init__(
        self, field: str, message: str, code: str = "", values: dict[str, int | str] | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.values = values or {}


class Refused(RuntimeError):
    """Well-formed, but not possible in the state things are in (a cancelled broadcast resumed,
    a meeting edited after its notice went out); `code` as BroadcastError's ("broken": what it is
    made from can no longer be put into words)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class BrokenBroadcast(RuntimeError):
    """What a broadcast was made from can no longer be turned into text (a meeting stored with a
    time zone that does not exist): no one can be sent it until an organiser fixes it."""
