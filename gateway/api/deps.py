"""The roles admin API endpoints declare, named once (the Gateway itself: gateway/http/deps.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from gateway.accounts.tokens import Principal
from gateway.api.tokens import require

Reader = Annotated[Principal, Depends(require("organiser", "viewer", "committee"))]
Organiser = Annotated[Principal, Depends(require("organiser"))]
# Who may move a report along: organisers, and committees for their own areas.
Mover = Annotated[Principal, Depends(require("organiser", "committee"))]
