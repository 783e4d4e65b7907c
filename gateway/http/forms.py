"""Reading an urlencoded form body as a dict, for the USSD hop's pure ASGI route.

The same result as `dict(urllib.parse.parse_qsl(text, keep_blank_values=True))` for every input
(tests/http/test_forms.py checks it), at about half the cost: a field with neither `%` nor `+` is
taken as it is, and parse_qsl's argument coercion is skipped. A hop pays it once per request.
"""

from __future__ import annotations

from urllib.parse import unquote


def parse_form(text: str) -> dict[str, str]:
    """Fields in order, the last of a repeated name winning; an empty part skipped, a part without
    `=` a name with an empty value."""
    fields: dict[str, str] = {}
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        fields[_decoded(name)] = _decoded(value)
    return fields


def _decoded(text: str) -> str:
    if "%" in text or "+" in text:
        return unquote(text.replace("+", " "))
    return text
