"""The flow file format (flows/*.yaml), validated on load.

A flow is a set of screens. Text is always a gettext message id, never translated text.
A screen reference is `screen` (same flow) or `flow:screen`; a bare `flow:` means its start.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MSGID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
KEY = re.compile(r"^[a-z][a-z0-9_]*$")
CONDITION = re.compile(r"^!?[a-z][a-z0-9_.]*$")

Scalar = str | int | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _msgid(value: str) -> str:
    if not MSGID.match(value):
        raise ValueError(f"{value!r} is not a message id (like 'report.topic.prompt')")
    return value


class Option(_Strict):
    label: str
    next: str | None = None
    store: dict[str, Scalar] = Field(default_factory=dict)
    action: str | None = None
    when: str | None = None

    _label = field_validator("label")(_msgid)

    @field_validator("store")
    @classmethod
    def _keys(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        for key in value:
            if not KEY.match(key):
                raise ValueError(f"bad data key {key!r}")
        return value

    @field_validator("when")
    @classmethod
    def _when(cls, value: str | None) -> str | None:
        if value is not None and not CONDITION.match(value):
            raise ValueError(f"bad condition {value!r} (a name, or !name)")
        return value


class OptionSource(_Strict):
    """Options computed at run time (areas, the caller's reports) by a named source."""

    source: str
    store: str
    next: str
    parent: str | None = None
    action: str | None = None


class _Screen(_Strict):
    text: str
    _text = field_validator("text")(_msgid)


class MenuScreen(_Screen):
    type: Literal["menu"]
    # Computed options (options_from) are numbered first, then these: an "other" or "none of
    # these" after a list.
    options: list[Option] = Field(default_factory=list)
    options_from: list[OptionSource] = Field(default_factory=list)
    empty: str | None = None
    error: str = "ussd.error.invalid_choice"
    # The text is a plural message chosen by the number of options, given to it as {n}.
    plural: bool = False
    # Inputs dialled with the code (*384*1234*1#) are not answers to this screen but wait until
    # the caller has left it: on the language choice, a dialled 1 still means the main menu's 1.
    holds_dialled: bool = False


class Branch(_Strict):
    """Where a screen's action may send the caller instead of `next`, with a hint to show there."""

    next: str
    hint: str | None = None

    @field_validator("hint")
    @classmethod
    def _hint(cls, value: str | None) -> str | None:
        return None if value is None else _msgid(value)


class InputScreen(_Screen):
    type: Literal["input"]
    store: str
    next: str
    min_length: int = Field(default=1, ge=1)
    max_length: int = Field(default=160, ge=1, le=1000)
    error_short: str = "ussd.error.too_short"
    error_long: str = "ussd.error.too_long"
    action: str | None = None
    # The action's verdicts other than "go on" (a commune name not recognised …), by name.
    branches: dict[str, Branch] = Field(default_factory=dict)


class InfoScreen(_Screen):
    type: Literal["info"]


class EndScreen(_Screen):
    type: Literal["end"]
    outcome: str = "done"


class Route(_Strict):
    next: str
    when: str | None = None
    # Run as the route is taken; it may add answers (the caller's usual commune), not redirect.
    action: str | None = None


class RouterScreen(_Strict):
    type: Literal["router"]
    routes: list[Route] = Field(min_length=1)


Screen = Annotated[
    MenuScreen | InputScreen | InfoScreen | EndScreen | RouterScreen, Field(discriminator="type")
]


class Flow(_Strict):
    id: str
    start: str
    # Entering this flow from another one starts its answers afresh.
    screens: dict[str, Screen]
    # Screens that mark a caller as "mid-report": a dropped session there can be resumed.
    resumable: list[str] = Field(default_factory=list)
