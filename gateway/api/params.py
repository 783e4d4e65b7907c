"""Parameter types shared by the admin API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator

from gateway.security.text import strip_controls

# Database ids are 32-bit; anything outside is "no such thing", said as a 422 before any query.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]

# Every string an organiser sends, cleaned of control characters (NUL and the like) first.
Clean = Annotated[str, BeforeValidator(lambda v: strip_controls(v) if isinstance(v, str) else v)]
