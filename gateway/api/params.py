"""Parameter types shared by the admin API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# Database ids are 32-bit; anything outside is "no such thing", said as a 422 before any query.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
