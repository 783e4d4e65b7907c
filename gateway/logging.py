"""Logging set-up: readable text in development, JSON lines in production, and whatever a line holds
(message, traceback, stack) masked in the formatter, the last step before the stream."""

from __future__ import annotations

import copy
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO
from urllib.parse import quote, unquote, unquote_plus

from gateway.accounts.secret_tokens import PATTERN as CONSOLE_TOKEN
from gateway.config import Settings
from gateway.security.phone import mask_in_text

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "***"
# `name=value`, as in a query string (an access log line), a message or a repr (name='value'); the
# name is judged once decoded.
_PARAMETER = re.compile(r"(?<![\w%+.~-])(?P<name>[\w%+.~-]+)=(?P<quote>[\"']?)(?P<value>[^&\s#\"']+)")
# Parameters whose value is a secret, whatever their case or URL-encoding: ?token=, ?TOKEN=, ?tok%65n=.
_SECRET_NAME = re.compile(r"(?:token|secret|password|passwd|(?:api|secret)[_-]?key)$")
# Configured secrets shorter than this are not searched for in lines: they would garble words.
_MIN_SECRET = 8
# A URL, or part of one, with percent-escapes: %2B226%2065%2028... is a number once decoded.
# (Anchored at the start of the word, so that a long word without escapes costs one pass.)
_ENCODED = re.compile(
    r"(?<![^\s\"'<>])[^\s\"'<>%]*(?:%(?![0-9A-Fa-f]{2})[^\s\"'<>%]*)*%[0-9A-Fa-f]{2}[^\s\"'<>]*"
)
# SQLAlchemy cuts long parameters and statements in the middle, and a number cut in two leaves
# pieces too short to look like one: the digits on either side of the cut are hidden whole.
_CUT = re.compile(
    r"(?P<before>[0-9](?:[ .\-]?[0-9])*[.\-]?)?"
    r"(?P<cut> \.\.\. \(?[0-9]+ characters truncated\)? \.\.\. )"
    r"(?P<after>[.\-]?[0-9](?:[ .\-]?[0-9])*)?"
)


# The console's secrets as they may show in a line: a session or invitation token (an invitation
# link in an access log's request line), an argon2 password hash, a 64-hex digest (of a token, a
# login or a number), an email address (a login). The digest's and hash's own letters give them away.
_CONSOLE_SECRETS = re.compile(
    rf"{CONSOLE_TOKEN.pattern}"
    r"|\$argon2(?:id|i|d)\$[A-Za-z0-9$=,+/]*"
    r"|(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])"
    r"|[\w.+%-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)


def _decoded(name: str) -> str:
    # Decoded until it no longer changes, so that `tok%2565n` is judged as `token` too.
    for _ in range(4):
        decoded = unquote_plus(name)
        if decoded == name:
            break
        name = decoded
    return name.lower()


def _hide_cut_digits(match: re.Match[str]) -> str:
    before, after = (re.sub("[0-9]", "*", match.group(name) or "") for name in ("before", "after"))
    return before + match.group("cut") + after


class Scrubber:
    """Masks phone numbers, secret-named parameters and the configured secrets in a piece of text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        values = {s for s in secrets if s and len(s) >= _MIN_SECRET}
        # Longest first, so a secret that contains another is hidden whole.
        self._secrets = sorted(values | {quote(s, safe="") for s in values}, key=len, reverse=True)

    @classmethod
    def for_settings(cls, settings: Settings) -> Scrubber:
        keys = [settings.secret_key, *settings.previous_keys]
        channels = [settings.orange_client_secret, settings.android_signing_key]
        try:
            phones = [phone.password for phone in settings.android_phone_list]
        except ValueError:  # refused at load already; nothing to mask that could be read
            phones = []
        return cls(
            [settings.callback_token, settings.metrics_token, settings.at_api_key, *channels, *phones, *keys]
        )

    def __call__(self, text: str) -> str:
        text = self._hide_secrets(text)
        if " characters truncated" in text:
            text = _CUT.sub(_hide_cut_digits, text)
        return mask_in_text(_ENCODED.sub(self._decoded_if_hiding, text))

    def _hide_secrets(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, HIDDEN)
        text = _CONSOLE_SECRETS.sub(HIDDEN, text)
        return _PARAMETER.sub(self._parameter, text)

    def _decoded_if_hiding(self, match: re.Match[str]) -> str:
        # Left as it is unless decoding shows a number (or a secret): then decoded and masked.
        decoded = unquote(match.group(0))
        cleaned = mask_in_text(self._hide_secrets(decoded))
        return match.group(0) if cleaned == decoded else cleaned.replace(" ", "%20")

    @staticmethod
    def _parameter(match: re.Match[str]) -> str:
        if _SECRET_NAME.search(_decoded(match.group("name"))):
            return f"{match.group('name')}={match.group('quote')}{HIDDEN}"
        return match.group(0)


class _MaskingFormatter(logging.Formatter):
    def __init__(self, scrub: Scrubber, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.scrub = scrub

    def masked(self, record: logging.LogRecord) -> logging.LogRecord:
        """A copy of the record with its message, traceback and stack masked (other handlers keep
        the original; the time stamp and level are not text a number hides in)."""
        masked = copy.copy(record)
        masked.msg, masked.args = self.scrub(record.getMessage()), None
        if record.exc_info or record.exc_text:
            text = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else "")
            masked.exc_text = self.scrub(text)
        if record.stack_info:
            masked.stack_info = self.scrub(record.stack_info)
        return masked


class TextFormatter(_MaskingFormatter):
    def __init__(self, scrub: Scrubber) -> None:
        super().__init__(scrub, TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return super().format(self.masked(record))


class JsonFormatter(_MaskingFormatter):
    def format(self, record: logging.LogRecord) -> str:
        masked = self.masked(record)
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": masked.msg,
        }
        if masked.exc_text:
            entry["exception"] = masked.exc_text
        if masked.stack_info:
            entry["stack"] = masked.stack_info
        return json.dumps(entry, ensure_ascii=False)


class MaskingHandler(logging.StreamHandler[TextIO]):
    """A stream handler whose report of a failed log call is masked too."""

    def __init__(self, scrub: Scrubber, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self.scrub = scrub

    def handleError(self, record: logging.LogRecord) -> None:
        # logging's own report prints the call's message, arguments and source lines as they are.
        if not logging.raiseExceptions:
            return
        error = sys.exc_info()[1]
        where = f"{record.name} ({record.pathname}:{record.lineno})"
        try:
            self.stream.write(
                self.scrub(
                    f"--- Logging error in {where}: {type(error).__name__}: {error}; message {record.msg!r}"
                )
                + self.terminator
            )
            self.flush()
        except Exception:  # a broken stream: nowhere left to say it
            pass


def log_handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """What every command logs through: standard error (or `stream`), every line masked."""
    scrub = Scrubber.for_settings(settings)
    handler = MaskingHandler(scrub, stream)
    handler.setFormatter(JsonFormatter(scrub) if settings.log_format == "json" else TextFormatter(scrub))
    return handler


def _log_uncaught(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger("gateway").critical("uncaught exception", exc_info=(kind, error, traceback))


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    root.handlers[:] = [log_handler(settings)]
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # What would otherwise reach stderr around the handler: warnings, and tracebacks of exceptions
    # nobody caught (they can carry a number in a database error's parameters).
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
