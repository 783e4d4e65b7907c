"""Waiting for a condition with a deadline, instead of sleeping a fixed time and hoping."""

from __future__ import annotations

from tests.helpers import eventually

__all__ = ["eventually"]
