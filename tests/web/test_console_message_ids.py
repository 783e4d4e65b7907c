"""Every console word the pages ask for is registered (gateway/message_ids.py), so `gateway i18n
update` keeps it in the template and every catalog; and every registered console word is asked for
somewhere, so no dead text waits for translators."""

from __future__ import annotations

import re
from pathlib import Path

import gateway
from gateway.message_ids import CODE_MESSAGES

SOURCES = Path(gateway.__file__).parent
# A whole id in quotes, or the start of one completed at run time ("console.role." ~ role,
# f"console.report.event.{kind}"): the start ends with a dot or an underscore. Audit actions
# ("console.signin") are names too, never shown: not words.
QUOTED = re.compile(r"""(?<!action=)["'](console\.[a-z0-9_.]+)(["'{])""")


def _asked() -> tuple[set[str], set[str]]:
    whole: set[str] = set()
    starts: set[str] = set()
    for path in [*SOURCES.rglob("*.py"), *SOURCES.rglob("*.html")]:
        if path.name == "message_ids.py":
            continue
        for found in QUOTED.finditer(path.read_text(encoding="utf-8")):
            text, closing = found.groups()
            if closing == "{" or text.endswith((".", "_")):
                starts.add(text)
            else:
                whole.add(text)
    return whole, starts


def test_every_console_word_asked_for_is_registered() -> None:
    whole, _starts = _asked()
    assert sorted(whole - set(CODE_MESSAGES)) == []


def test_every_registered_console_word_is_asked_for() -> None:
    whole, starts = _asked()
    registered = {m for m in CODE_MESSAGES if m.startswith("console.")}
    unused = [m for m in registered if m not in whole and not m.startswith(tuple(starts))]
    assert sorted(unused) == []
