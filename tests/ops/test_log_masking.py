"""A real `gateway serve`, its standard error captured to a file, made to log warnings, a 500's
traceback and access lines that carry phone numbers in several written forms and the callback
token in every spelling: nothing of them may reach the file but masked numbers and `***`.
On PostgreSQL it runs with `--workers 2`, whose processes uvicorn spawns without our logging."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from gateway.wiring import Gateway
from tests.ops.processes import gateway_env, start_listening, stop
from tests.security.logs import TOKEN_SPELLINGS, leaked_digits

FORGED = "forged-callback-value-Kd8wQz"
# Three national numbers, each sent in several written forms and never logged in clear anywhere.
UNUSABLE = "76489327"  # USSD phoneNumber values the gateway cannot use: a warning names them
IN_TEXT = "70358164"  # in an SMS the handler fails to store: a traceback with its parameters
IN_QUERY = "65287419"  # in a callback URL: the access line
NUMBERS = (UNUSABLE, IN_TEXT, IN_QUERY)


@dataclass
class Server:
    base: str
    token: str
    log_format: str
    process: subprocess.Popen[bytes]
    output: Path

    def post(self, path: str, data: dict[str, str], params: dict[str, str] | None = None) -> httpx.Response:
        query = {"token": self.token, **(params or {})}
        return httpx.post(self.base + path, params=query, data=data, timeout=30)

    def stop_and_read(self) -> str:
        """Everything it wrote, once stopped (the last access line is written after the response)."""
        stop([self.process])
        return self.output.read_text(encoding="utf-8")


REFUSED = "ATXid_refused"
# The database refusing a write with an error the handler does not expect (not a duplicate, not an
# outage): the SMS handler lets it through, and uvicorn logs it with the statement's parameters.
# SQLite's RAISE() would read as a duplicate (a constraint error), so the trigger asks for a blob
# SQLite refuses to make ("string or blob too big").
REFUSE_ON_SQLITE = [
    f"CREATE TRIGGER refuse_inbound BEFORE INSERT ON inbound_messages WHEN NEW.external_id = '{REFUSED}' "
    "BEGIN SELECT zeroblob(2000000000); END",
]
REFUSE_ON_POSTGRES = [
    "CREATE OR REPLACE FUNCTION refuse_inbound() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
    "CREATE TRIGGER refuse_inbound BEFORE INSERT ON inbound_messages FOR EACH ROW "
    f"WHEN (NEW.external_id = '{REFUSED}') EXECUTE FUNCTION refuse_inbound()",
]


@pytest.fixture
async def refusing_database(gateway: Gateway) -> AsyncIterator[None]:
    sqlite = gateway.settings.is_sqlite
    async with gateway.sessionmaker() as db, db.begin():
        for statement in REFUSE_ON_SQLITE if sqlite else REFUSE_ON_POSTGRES:
            await db.execute(text(statement))
    yield
    async with gateway.sessionmaker() as db, db.begin():
        await db.execute(text("DROP TRIGGER refuse_inbound" + ("" if sqlite else " ON inbound_messages")))
        if not sqlite:
            await db.execute(text("DROP FUNCTION refuse_inbound()"))


@pytest.fixture(params=["text", "json"])
def server(request: pytest.FixtureRequest, gateway: Gateway, tmp_path: Path) -> Iterator[Server]:
    env = gateway_env(gateway, log_format=request.param, log_level="INFO")
    workers = [] if gateway.settings.is_sqlite else ["--workers", "2"]
    output = tmp_path / "stderr.log"
    process, port = start_listening(
        lambda port: ["serve", "--port", str(port), *workers], env, "/readyz", stderr=output
    )
    try:
        yield Server(
            f"http://127.0.0.1:{port}", env["GATEWAY_CALLBACK_TOKEN"], request.param, process, output
        )
    finally:
        stop([process])


def provoke(server: Server) -> None:
    for n, phone in enumerate(["76.48.93.2", "+223 76 48 93 27 11", "+223.76.48.93", "0022376489"]):
        hop = {
            "sessionId": f"ATUid_unusable{n}",
            "phoneNumber": phone,
            "serviceCode": "*384*1234#",
            "text": "",
        }
        assert server.post("/callbacks/africastalking/ussd", hop).text.startswith("END ")
    # The handler fails on the way to the database: uvicorn logs the traceback, whose last line
    # holds the statement's parameters, the text among them. The refused row always does; a date
    # beyond what a database holds did too when this was written (whatever its answer, no leak).
    words = "Appelez 70.35.81.64, +226 70 35 81 64, 0022670358164, 70-35-81-64 ou 70358164"
    far = {"id": "ATXid_far", "from": "+22670358164", "date": "9999-12-31T23:59:59-14:00", "text": words}
    server.post("/callbacks/africastalking/sms", far)
    refused = {"id": REFUSED, "from": "+22670358164", "text": words}
    assert server.post("/callbacks/africastalking/sms", refused).status_code == 500
    for form in ("65.28.74.19", "+226.65.28.74.19", "0022665287419", "65 28 74 19", "65287419"):
        event = {"sessionId": "ATUid_query", "status": "Success"}
        server.post("/callbacks/africastalking/ussd/events", event, params={"caller": form})
    for value in (server.token, FORGED):
        for spelling in TOKEN_SPELLINGS:
            url = f"{server.base}/callbacks/africastalking/ussd/events{spelling}{value}"
            httpx.post(url, data={"sessionId": "ATUid_token", "status": "Success"}, timeout=30)


@pytest.mark.usefixtures("refusing_database")
def test_nothing_reaches_the_log_unmasked(server: Server) -> None:
    provoke(server)
    output = server.stop_and_read()
    # What the scenario must have produced, or the scan below proves nothing.
    assert "unusable phoneNumber" in output
    assert "Traceback" in output
    # The parameters' line, masked (SQLAlchemy shows both ends of it, in no fixed order).
    assert re.search(r"\[parameters: .*\+226\*{6}64", output)
    for spelling in TOKEN_SPELLINGS:
        assert f"/callbacks/africastalking/ussd/events{spelling}*** HTTP/1.1" in output
    if server.log_format == "json":
        # Every line is JSON but `serve`'s own message for people; the traceback is inside one.
        lines = [line for line in output.splitlines() if not line.startswith("gateway: serving on")]
        entries = [json.loads(line) for line in lines]
        assert any("[parameters:" in entry.get("exception", "") for entry in entries)
    # The scan: no token value, no three digits in a row of any number but its last two.
    for secret in (server.token, FORGED):
        assert secret not in output
    for national in NUMBERS:
        assert leaked_digits(national, output) == [], national
