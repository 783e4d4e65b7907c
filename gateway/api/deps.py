"""The dependencies admin API and callback routes declare, named once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from gateway.api.tokens import Principal, require
from gateway.wiring import Gateway, get_gateway

GatewayDep = Annotated[Gateway, Depends(get_gateway)]
Reader = Annotated[Principal, Depends(require("organiser", "viewer", "committee"))]
Organiser = Annotated[Principal, Depends(require("organiser"))]
# Who may move a report along: organisers, and committees for their own areas.
Mover = Annotated[Principal, Depends(require("organiser", "committee"))]
