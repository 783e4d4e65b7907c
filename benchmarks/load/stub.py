"""The bare baseline: FastAPI reading the same form as the gateway's USSD callback, then answering.

Run as its own process (`python -P benchmarks/load/stub.py HOST PORT`) by uvicorn.run with the options
`gateway serve` uses, and with logging set up the same way (root handler at WARNING, so the uvicorn
access log lines are dropped at the level check in both servers): the difference between the two
servers is then the gateway's own work.
"""

from __future__ import annotations

import logging
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

PATH = "/ussd"
ANSWER = "END ok"


def make_app() -> FastAPI:
    app = FastAPI()

    @app.post(PATH, response_class=PlainTextResponse)
    async def ussd(request: Request) -> PlainTextResponse:
        await request.form()
        return PlainTextResponse(ANSWER)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve(app: FastAPI, host: str, port: int) -> None:
    """uvicorn.run as `gateway serve` calls it, with its logging set up the same way."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel("WARNING")
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=True)


if __name__ == "__main__":
    serve(make_app(), sys.argv[1], int(sys.argv[2]))
