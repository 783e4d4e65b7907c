"""Helpers for tests of what reaches the logs: search output for leaks; undo configure_logging."""

from __future__ import annotations

import logging
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote

# Digits in a log line that are not anybody's number: time stamps, traceback positions, the
# client's address and port, the HTTP version and status, the process id, random hex ids (the log
# provider's message ids). Taken out before the search, so they cannot pass for three digits of a
# number by chance.
NOISE = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:[+-]\d{2}:\d{2})?"
    r"|line \d+"
    r"|datetime\.datetime\([\d, ]+"  # a time in a statement's parameters: its microseconds are random
    r"|\d{1,3}(?:\.\d{1,3}){3}:\d+"
    r"|HTTP/[\d.]+\\?\" \d{3}"  # in JSON the quote is escaped
    r"|process \[\d+\]"
    r"|dispatcher [\w.-]+:\d+:[0-9a-f]+"  # a worker's id: host, process id, a counter
    r"|(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])[0-9a-f]{16,}(?![0-9A-Za-z])"
    r"|\+22[36]"  # a country code in front of a masked number is allowed
)
SEPARATOR = "[ .+\\-\u00a0\u202f]?"
# How a query parameter named token may be spelled: the ones that decode to `token` are the one
# Starlette reads; the others are what a client with the wrong case sends. None may show a value.
TOKEN_SPELLINGS = ["?token=", "?TOKEN=", "?Token=", "?tok%65n=", "?to%6Ben=", "?tok%2565n=", "?a=1&token="]


def leaked_digits(national: str, output: str) -> list[str]:
    """Every place in `output` showing three digits in a row of the national number `national`
    (written with the usual separators or not), other than where the last two appear alone."""
    # As written, and URL-decoded: a number may be in a query string, as 65%2028%2074%2019.
    text = NOISE.sub(" ", output + "\n" + unquote(output))
    windows = {national[i : i + 3] for i in range(len(national) - 2)}
    pattern = re.compile("|".join(SEPARATOR.join(window) for window in sorted(windows)))
    return pattern.findall(text)


@contextmanager
def restored_logging() -> Iterator[None]:
    """Undoes what configure_logging (called by every command) changes in this process."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    hooks = sys.excepthook, warnings.showwarning
    try:
        yield
    finally:
        root.handlers[:], root.level = handlers, level
        logging.captureWarnings(False)
        sys.excepthook, warnings.showwarning = hooks
