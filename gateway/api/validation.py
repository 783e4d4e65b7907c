"""What a 422 may show: where and why, and an input (or a ctx) only when it is short, so that a
megabyte sent is not a megabyte answered, and no object that is not JSON reaches the encoder."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from fastapi import HTTPException
from fastapi.responses import JSONResponse

ECHO_LIMIT = 100
MSG_LIMIT = 300


def public_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors as a client may see them: where, why, and the input only when it is short."""
    shown: list[dict[str, Any]] = []
    for error in errors:
        item: dict[str, Any] = {
            "loc": [_clip(part, ECHO_LIMIT) for part in error.get("loc", ())],
            "msg": _clip(str(error.get("msg", "")), MSG_LIMIT),
            "type": str(error.get("type", "")),
        }
        for key in ("input", "ctx"):
            if key in error and short_json(error[key]) is not None:
                item[key] = error[key]
        shown.append(item)
    return shown


def short_json(value: Any, limit: int = ECHO_LIMIT) -> str | None:
    """The JSON text of value if it is JSON and at most limit characters long, else None."""
    if _json_lower_bound(value, limit) > limit:
        return None  # decided without encoding a large value, however often it is repeated
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return text if len(text) <= limit else None


def _json_lower_bound(value: Any, limit: int) -> int:
    # At most the length json.dumps gives; it stops counting once past limit, so a deep or wide
    # value costs no more than limit steps.
    if isinstance(value, str):
        return len(value) + 2
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = ((None, v) for v in value)
    else:
        return 1
    size = 2
    if size > limit:
        return size  # checked before going deeper, so nesting cannot outrun the stack
    for key, item in items:
        if key is not None:
            size += _json_lower_bound(key, limit - size)
        size += _json_lower_bound(item, limit - size)
        if size > limit:
            return size
    return size


def _clip(part: Any, limit: int) -> Any:
    return part[:limit] + "…" if isinstance(part, str) and len(part) > limit else part


class FieldProblem(Protocol):
    """Bad input about one field (a domain service's error): `field` names it."""

    @property
    def field(self) -> str: ...


def invalid(exc: FieldProblem) -> JSONResponse:
    """The API's 422 for a domain rule an input breaks: the reason and the field."""
    return JSONResponse({"error": str(exc), "field": exc.field}, status_code=422)


def refused(exc: Exception) -> HTTPException:
    """The API's 409: the request is fine, but the thing's state does not allow it now."""
    return HTTPException(409, str(exc))
