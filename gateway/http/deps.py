"""The process's Gateway as a request dependency, for the admin API and the provider callbacks alike
(neither has to import the other to get it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.wiring import Gateway


async def get_gateway(request: Request) -> Gateway:
    # async: FastAPI runs a plain function in its thread pool, a hop per request for nothing.
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
