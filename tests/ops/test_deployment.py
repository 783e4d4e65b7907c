"""The compose file and the image recipe, checked as far as a machine without a Docker engine can."""

from __future__ import annotations

import re
import secrets
import shlex
import subprocess
from collections.abc import Iterable
from pathlib import PurePosixPath

import pytest
import yaml
from typer.testing import CliRunner

from gateway.cli import app
from gateway.config import ROOT, Settings

COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")

# Compose's ${NAME<modifier>}: `:-x`/`-x` fall back to x, `:?msg`/`?msg` refuse to start saying msg.
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?P<modifier>[^}]*)\}")
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|KEY")


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
        env={
            "GATEWAY_DATABASE_URL": "sqlite+aiosqlite:////tmp/never.db",
            "GATEWAY_SECRET_KEY": secrets.token_urlsafe(48),  # a weak key would be refused first
        },
    )
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.stderr


def test_no_secret_has_a_default_in_compose() -> None:
    uses = [use for use in INTERPOLATION.finditer(COMPOSE_TEXT) if SECRET_NAME.search(use["name"])]
    assert uses
    # Required, with a message saying what to do: a forgotten .env stops compose rather than deploying
    # a password anyone can read here.
    assert [use[0] for use in uses if not re.fullmatch(r":\?\s*\S.*", use["modifier"])] == []
    services = COMPOSE["services"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for name in ("migrate", "api", "worker"):
        url = services[name]["environment"]["GATEWAY_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://gateway:${POSTGRES_PASSWORD:?"), url
    assert services["api"]["environment"]["GATEWAY_CALLBACK_TOKEN"].startswith("${GATEWAY_CALLBACK_TOKEN:?")


def test_the_api_is_published_on_loopback_only() -> None:
    # TLS is terminated by a proxy on the host; nothing else should reach plain HTTP.
    assert COMPOSE["services"]["api"]["ports"] == ["127.0.0.1:8000:8000"]
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
    # The proxy's requests come from the compose network, not 127.0.0.1; trusting everyone would
    # let any client write its own X-Forwarded-For.
    forwarded = COMPOSE["services"]["api"]["environment"]["FORWARDED_ALLOW_IPS"]
    assert forwarded
    assert "*" not in forwarded


def pip_commands(shell: Iterable[str]) -> list[list[str]]:
    """The arguments after `pip` of every `pip install` and `pip wheel` in these shell lines."""
    found: list[list[str]] = []
    for line in shell:
        for command in re.split(r"&&|;", line):
            words = shlex.split(command)
            for i, word in enumerate(words[:-1]):
                if PurePosixPath(word).name in ("pip", "pip3") and words[i + 1] in ("install", "wheel"):
                    found.append(words[i + 1 :])
    return found


def assert_only_the_lock_brings_dependencies(commands: list[list[str]], lock: str) -> None:
    """One hash-checked install of `lock`; everything else comes without its dependencies."""
    from_lock = [args for args in commands if "--require-hashes" in args]
    assert from_lock, commands
    for args in from_lock:
        files = [PurePosixPath(args[i + 1]).name for i, arg in enumerate(args[:-1]) if arg == "-r"]
        assert files == [lock], args
    for args in commands:
        assert "--require-hashes" in args or "--no-deps" in args, args


def test_the_image_installs_from_the_lock_with_hashes() -> None:
    instructions = re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
    runs = [line.removeprefix("RUN ") for line in instructions if line.startswith("RUN ")]
    assert any(line.startswith("COPY requirements.lock ") for line in instructions)
    assert_only_the_lock_brings_dependencies(pip_commands(runs), "requirements.lock")


def test_make_installs_from_the_dev_lock_with_hashes() -> None:
    recipe = subprocess.run(
        ["make", "--no-print-directory", "--dry-run", "--always-make", ".venv/.installed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    commands = pip_commands(recipe)
    assert_only_the_lock_brings_dependencies(commands, "requirements-dev.lock")
    assert any("--no-deps" in args and args[-2:] == ["-e", "."] for args in commands), commands
    # A changed lock or pyproject.toml reinstalls .venv, so nobody tests against stale versions.
    rule = re.search(r"^\$\(STAMP\):(.*)$", MAKEFILE, re.MULTILINE)
    assert rule, "no $(STAMP) rule in the Makefile"
    assert set(rule[1].split()) >= {"pyproject.toml", "requirements.lock", "requirements-dev.lock"}
