"""What a token may see: organisers and viewers everything, a committee token its own communes.

The rule lives in gateway/http/scope.py, where the console reaches it too."""

from __future__ import annotations

from gateway.http.scope import Scoped, reach

__all__ = ["Scoped", "reach"]
