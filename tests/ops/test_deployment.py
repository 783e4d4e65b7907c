"""The compose file and the image recipe, checked as far as a machine without a Docker engine can."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from gateway.cli import app
from gateway.config import ROOT, Settings

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_services_and_their_order() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"db", "migrate", "api", "worker"}
    assert services["db"]["healthcheck"]["test"]
    assert "gateway-data" in COMPOSE["volumes"]
    assert services["db"]["volumes"] == ["gateway-data:/var/lib/postgresql/data"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["env_file"] == ".env"
        assert services[name]["environment"]["GATEWAY_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert services["api"]["healthcheck"]["test"]
    assert services["api"]["environment"]["GATEWAY_DISPATCH_IN_PROCESS"] == "false"
    for name in ("api", "worker"):  # past the shutdown grace, or Docker's SIGKILL cuts it short
        assert (
            int(services[name]["stop_grace_period"].removesuffix("s"))
            > Settings.model_fields["shutdown_grace_s"].default
        )


@pytest.mark.parametrize("service", ["migrate", "api", "worker"])
def test_the_containers_commands_are_real_gateway_commands(service: str) -> None:
    command = COMPOSE["services"][service]["command"]
    assert command[0] == "gateway"
    result = CliRunner().invoke(app, [*command[1:], "--help"])
    assert result.exit_code == 0, result.output


def test_image_recipe() -> None:
    assert "FROM python:3.11-slim" in DOCKERFILE
    assert "USER gateway" in DOCKERFILE
    for data in ("flows", "locales", "data"):
        assert f"COPY {data} ./{data}" in DOCKERFILE
    cmd = next(line for line in DOCKERFILE.splitlines() if line.startswith("CMD "))
    command = yaml.safe_load(cmd.removeprefix("CMD "))
    assert command[:2] == ["gateway", "serve"]
    assert CliRunner().invoke(app, [*command[1:], "--help"]).exit_code == 0
    assert "HEALTHCHECK" in DOCKERFILE


def test_workers_refused_on_sqlite() -> None:
    result = CliRunner().invoke(
        app,
        ["serve", "--workers", "2"],
        env={"GATEWAY_DATABASE_URL": "sqlite+aiosqlite:////tmp/never.db", "GATEWAY_SECRET_KEY": "x" * 40},
    )
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.stderr
