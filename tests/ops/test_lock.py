"""The lock files against pyproject.toml and against this environment: CI runs exactly what is locked,
and the image (requirements.lock) runs the versions CI tested (requirements-dev.lock)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gateway.config import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(line) for line in PROJECT["dependencies"]]
DEV = RUNTIME + [Requirement(line) for line in PROJECT["optional-dependencies"]["dev"]]
# What each lock must hold: the image installs the first, `make` (and so CI) the second.
LOCKS = {"requirements.lock": RUNTIME, "requirements-dev.lock": DEV}
HASH = re.compile(r"sha256:[0-9a-f]{64}")
FIX = "the lock has drifted from pyproject.toml: run `make lock` and commit both lock files"


@dataclass(frozen=True)
class Pin:
    requirement: Requirement
    hashes: frozenset[str]

    @property
    def version(self) -> str:
        (spec,) = self.requirement.specifier  # exactly one `==` (test_every_entry_is_pinned_with_hashes)
        return spec.version

    def applies(self) -> bool:
        return _applies(self.requirement, frozenset())


def read_lock(name: str) -> dict[str, Pin]:
    """A pip-compile lock: `name==version \\` lines, each followed by its `--hash=` lines."""
    joined = (ROOT / name).read_text(encoding="utf-8").replace("\\\n", " ")
    pins: dict[str, Pin] = {}
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        spec, *hashes = re.split(r"\s+--hash=", line)
        requirement = Requirement(spec)
        pins[canonicalize_name(requirement.name)] = Pin(requirement, frozenset(hashes))
    return pins


def needed_by(roots: Iterable[Requirement]) -> set[str]:
    """Every distribution the roots need on this interpreter, as the installed metadata says."""
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(canonicalize_name(r.name), frozenset(r.extras)) for r in roots if _applies(r, frozenset())]
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        name, extras = node
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # test_installed_versions_are_the_locked_ones names it
        for line in requires:
            dependency = Requirement(line)
            if _applies(dependency, extras):
                pending.append((canonicalize_name(dependency.name), frozenset(dependency.extras)))
    return {name for name, _ in seen}


def _applies(requirement: Requirement, extras: frozenset[str]) -> bool:
    """Whether a requirement holds here, for a package installed with these extras."""
    marker = requirement.marker
    return marker is None or any(marker.evaluate({"extra": extra}) for extra in ("", *extras))


@pytest.mark.parametrize("lock", LOCKS)
def test_every_entry_is_pinned_with_hashes(lock: str) -> None:
    pins = read_lock(lock)
    assert pins, lock
    exact = [("==", False)]
    loose = [
        n
        for n, pin in pins.items()
        if [(s.operator, "*" in s.version) for s in pin.requirement.specifier] != exact
    ]
    assert not loose, f"{lock}: not pinned with ==: {loose}"
    unhashed = [n for n, pin in pins.items() if not pin.hashes or not all(map(HASH.fullmatch, pin.hashes))]
    assert not unhashed, f"{lock}: without sha256 hashes: {unhashed}"
    assert "make lock" in (ROOT / lock).read_text(encoding="utf-8").split("\n\n")[0]  # how to regenerate


@pytest.mark.parametrize("lock", LOCKS)
def test_what_pyproject_asks_for_is_locked(lock: str) -> None:
    pins, roots = read_lock(lock), LOCKS[lock]
    missing = [str(r) for r in roots if canonicalize_name(r.name) not in pins]
    assert not missing, f"{lock} lacks {missing}: {FIX}"
    outside = [
        f"{r} (locked {pins[canonicalize_name(r.name)].version})"
        for r in roots
        if not r.specifier.contains(pins[canonicalize_name(r.name)].version, prereleases=True)
    ]
    assert not outside, f"{lock} pins outside pyproject.toml's ranges: {outside}: {FIX}"


@pytest.mark.parametrize("lock", LOCKS)
def test_every_transitive_dependency_is_locked(lock: str) -> None:
    missing = sorted(needed_by(LOCKS[lock]) - set(read_lock(lock)))
    assert not missing, f"{lock} lacks {missing}: {FIX}"


def test_the_image_runs_the_versions_ci_tests() -> None:
    runtime, dev = read_lock("requirements.lock"), read_lock("requirements-dev.lock")
    differ = [name for name, pin in runtime.items() if dev.get(name) != pin]
    assert not differ, f"requirements.lock and requirements-dev.lock disagree on {differ}: {FIX}"


def test_installed_versions_are_the_locked_ones() -> None:
    wrong: dict[str, str] = {}
    for name, pin in read_lock("requirements-dev.lock").items():
        if not pin.applies():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != pin.version:
            wrong[name] = f"{installed}, locked {pin.version}"
    assert not wrong, (
        f"this environment is not the lock: {wrong}; reinstall with `make clean` then `make test`"
    )
