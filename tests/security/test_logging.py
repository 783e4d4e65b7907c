"""What the configured log handler writes: phone numbers and secrets masked in every format and in
every part of a line (message, traceback, stack), the time stamp intact."""

from __future__ import annotations

import io
import json
import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from types import TracebackType
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.exc import DBAPIError

from gateway.config import Settings, load_settings
from gateway.logging import JsonFormatter, Scrubber, TextFormatter, configure_logging, log_handler
from tests.security.logs import TOKEN_SPELLINGS, leaked_digits, restored_logging
from tests.security.test_phone import Written, written_numbers

TOKEN = "callback-token-ZyXwVuTsRqPo"
FORGED = "forged-value-QwErTy"
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
NUMBERS = ["+22376123456", "0022376123456", "76.12.34.56", "+223.76.12.34.56", "76 12 34 56", "76123456"]


def assert_clean(output: str, *secrets: str) -> None:
    """Nothing of 76 12 34 56 but its last two digits, and no secret."""
    assert not leaked_digits("76123456", output), output
    for secret in secrets:
        assert secret not in output, output


def settings_for(log_format: str) -> Settings:
    return load_settings(_env_file=None, log_format=log_format, callback_token=TOKEN)


@pytest.fixture(params=["text", "json"])
def settings(request: pytest.FixtureRequest) -> Settings:
    return settings_for(request.param)


def emitted(settings: Settings, record: logging.LogRecord) -> str:
    """What the configured handler writes to its stream for the record."""
    stream = io.StringIO()
    log_handler(settings, stream).handle(record)
    return stream.getvalue()


Emit = Callable[[logging.LogRecord], str]


@pytest.fixture
def emit(settings: Settings) -> Emit:
    return lambda record: emitted(settings, record)


def record(
    message: str,
    *args: object,
    exc_info: ExcInfo | None = None,
    stack: str | None = None,
    name: str = "gateway.test",
) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, args, exc_info, sinfo=stack)


def database_error(text: str = "Appelez 76.12.34.56 ou 0022376123456") -> ExcInfo:
    """What SQLAlchemy raised for a PostgreSQL error, formatted as SQLAlchemy formats it."""
    statement = "INSERT INTO inbound_messages (phone, text) VALUES ($1::VARCHAR, $2::VARCHAR)"
    params = ("+22376123456", text)
    try:
        try:
            raise ValueError("value too long for type character varying(16) for 76 12 34 56")
        except ValueError as orig:
            raise DBAPIError.instance(statement, params, orig, Exception) from orig
    except DBAPIError as error:
        return type(error), error, error.__traceback__
    raise AssertionError("unreachable")


def test_numbers_in_the_message_are_masked(emit: Emit) -> None:
    output = emit(record("hop from " + ", ".join(["%s"] * len(NUMBERS)), *NUMBERS))
    assert_clean(output)
    assert "+223******56" in output
    assert "******56" in output


def test_a_database_error_traceback_is_masked(emit: Emit) -> None:
    error = database_error()
    assert "[parameters: ('+22376123456'" in str(error[1])  # the leak this guards against
    output = emit(record("ussd hop failed", exc_info=error))
    assert "Traceback" in output
    assert "[parameters: ('+223******56'" in output
    assert_clean(output)


def test_a_number_cut_in_two_by_sqlalchemy_is_masked(emit: Emit) -> None:
    # SQLAlchemy shows 150 characters of each end of a long parameter: this one is cut inside the
    # number, leaving "76 12" and "-34-56", each too short to look like a number.
    text = "a" * 144 + "76 12-34-56" + "b" * 150 + "Appelez 76 12 34 56"
    assert " ... (" in str(database_error(text)[1])
    output = emit(record("failed", exc_info=database_error(text)))
    assert "characters truncated" in output
    assert_clean(output)


def test_a_traceback_formatted_before_by_another_handler_is_masked_too(emit: Emit) -> None:
    error = database_error()
    entry = record("failed", exc_info=error)
    entry.exc_text = logging.Formatter().formatException(error)
    assert_clean(emit(entry))


def test_the_stack_is_masked(emit: Emit) -> None:
    stack = 'Stack (most recent call last):\n  File "x.py", line 3, in f\n    notify("+22376123456")'
    output = emit(record("where from", stack=stack))
    assert "notify" in output
    assert_clean(output)


@pytest.mark.parametrize("spelling", TOKEN_SPELLINGS)
def test_the_callback_token_is_masked_however_the_parameter_is_spelled(emit: Emit, spelling: str) -> None:
    for value in (TOKEN, FORGED):
        # As uvicorn's access logger writes it: the path with its query, from the record's args.
        line = record(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:50312",
            "POST",
            f"/callbacks/africastalking/sms{spelling}{value}&x=1",
            "1.1",
            403,
            name="uvicorn.access",
        )
        output = emit(line)
        assert_clean(output, TOKEN, FORGED)
        assert f"/callbacks/africastalking/sms{spelling}***&x=1 HTTP/1.1" in output


@pytest.mark.parametrize(
    "number", ["76+12+34+56", "%2B223.76.12.34.56", "76%2012%2034%2056", "%2B22376123456"]
)
def test_a_number_in_a_url_is_masked_however_encoded(emit: Emit, number: str) -> None:
    path = f"/callbacks/africastalking/sms?caller={number}&token={FORGED}"
    output = emit(record('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50312", "POST", path, "1.1", 403))
    assert "caller=" in output
    assert_clean(output, FORGED)


@given(written_numbers(), st.sampled_from(["text", "json"]))
def test_any_written_number_leaves_at_most_its_last_two_digits_in_a_line(
    number: Written, log_format: str
) -> None:
    settings = settings_for(log_format)
    said = emitted(settings, record("caller %s said", number.text))
    # And in a URL, as a client encodes it (a space as +, a + as %2B).
    path = "/callbacks/africastalking/sms?" + urlencode({"caller": number.text, "token": TOKEN})
    requested = emitted(settings, record('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "POST", path, "1.1", 403))
    for output in (said, requested):
        assert leaked_digits(number.national, output) == [], output
    assert TOKEN not in requested


def test_the_configured_token_is_masked_wherever_it_appears(emit: Emit) -> None:
    output = emit(record("header X-Callback: %s, path /hooks/%s/sms", TOKEN, TOKEN))
    assert_clean(output, TOKEN)


def test_the_text_time_stamp_is_left_as_it_is() -> None:
    line = record("hop from %s", "+22376123456")
    line.created, line.msecs = 1796214896.789, 789.0  # 2026-12-02 12:34:56,789 (UTC)
    scrub = Scrubber()
    text = TextFormatter(scrub)
    assert text.format(line).startswith(text.formatTime(line) + " ERROR gateway.test: hop from +223******56")
    assert json.loads(JsonFormatter(scrub).format(line))["time"] == "2026-12-02T12:34:56.789000+00:00"


def test_json_lines_stay_json_with_their_exception() -> None:
    line = record("failed for %s", "76 12 34 56", exc_info=database_error())
    entry = json.loads(emitted(settings_for("json"), line))
    assert entry["message"] == "failed for ******56"
    assert "[parameters: ('+223******56'" in entry["exception"]


@pytest.fixture
def configure(settings: Settings) -> Iterator[Callable[[], None]]:
    """configure_logging as a command calls it (in the test, so that its handler writes to the
    stderr capsys reads), undone afterwards."""
    with restored_logging():
        yield lambda: configure_logging(settings)


def test_the_configured_handler_masks_tracebacks(
    configure: Callable[[], None], capsys: pytest.CaptureFixture[str]
) -> None:
    configure()
    try:
        raise RuntimeError("no route to +22376123456 ?TOKEN=" + TOKEN)
    except RuntimeError:
        logging.getLogger("gateway.test").exception("send failed for %s", "76.12.34.56")
    err = capsys.readouterr().err
    assert "RuntimeError" in err
    assert_clean(err, TOKEN)


def test_uncaught_exceptions_and_warnings_go_through_the_masking_handler(
    configure: Callable[[], None], capsys: pytest.CaptureFixture[str]
) -> None:
    configure()
    try:
        raise RuntimeError("crashed on +22376123456")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    warnings.showwarning(UserWarning("odd number 76 12 34 56"), UserWarning, "x.py", 1)
    err = capsys.readouterr().err
    assert "crashed on +223******56" in err
    assert "odd number ******56" in err
    assert_clean(err)


def test_a_log_call_that_fails_is_reported_without_its_arguments(
    configure: Callable[[], None], capsys: pytest.CaptureFixture[str]
) -> None:
    # logging's own report of a failed call prints the message and its arguments as they are.
    configure()
    logging.getLogger("gateway.test").warning("two places %s %s, one given", "+22376123456")
    err = capsys.readouterr().err
    assert "Logging error" in err
    assert "gateway.test" in err
    assert_clean(err)


CHANNEL_SECRETS = {
    "orange_client_secret": "orange-secret-AbCdEf123",
    "android_signing_key": "android-signing-key-GhIjKl456",
}
PHONE_PASSWORD = "phone-password-MnOpQr789"


def channel_settings() -> Settings:
    phones = f"ml=http://192.168.1.20:8080,sms,{PHONE_PASSWORD},+223"
    return load_settings(_env_file=None, callback_token=TOKEN, android_phones=phones, **CHANNEL_SECRETS)


def test_the_channels_secrets_are_masked_in_a_log_line() -> None:
    scrub = Scrubber.for_settings(channel_settings())
    line = " ".join([*CHANNEL_SECRETS.values(), PHONE_PASSWORD, "basic sms:" + PHONE_PASSWORD])
    assert_clean(scrub(line), *CHANNEL_SECRETS.values(), PHONE_PASSWORD)


def test_the_channels_secrets_stay_out_of_the_settings_repr() -> None:
    settings = channel_settings()
    assert settings.orange_client_secret == CHANNEL_SECRETS["orange_client_secret"]
    for shown in (repr(settings), str(settings)):
        for secret in (*CHANNEL_SECRETS.values(), PHONE_PASSWORD):
            assert secret not in shown
