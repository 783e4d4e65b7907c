"""GATEWAY_SECRET_KEY and each previous key must be strong: weak ones stop the process in one line."""

from __future__ import annotations

import base64
import random
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.config import SettingsError, load_settings
from gateway.security.strength import key_weakness
from tests.security.keyring import KEY_A, KEY_B

TEST_SUITE_KEY = "test-secret-key-not-for-production-0123456789"  # tests/conftest.py


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(TEST_SUITE_KEY, id="the test suite's key"),
        pytest.param(KEY_A, id="token_urlsafe(48), fixed"),
        pytest.param(secrets.token_urlsafe(48), id="make dev-key"),
        pytest.param(secrets.token_urlsafe(32), id="token_urlsafe(32)"),
        pytest.param(secrets.token_hex(32), id="token_hex(32)"),
        pytest.param(secrets.token_hex(16), id="token_hex(16)"),
        pytest.param("password-38475920384756102938475610", id="a word and 26 random digits"),
        pytest.param("correct horse battery staple, 1987!", id="a passphrase"),
    ],
)
def test_strong_keys_pass(key: str) -> None:
    assert key_weakness(key) is None


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "shorter than 32"),
        ("Xq9!vR2#mK5$wT8&zL1@pN4^hB7*jD3", "shorter than 32"),  # 31 random characters
        ("a" * 32, "different characters"),
        ("x" * 40, "different characters"),
        ("ab" * 20, "different characters"),
        ("changemechangemechangemechangeme", "different characters"),
        ("secretsecretsecretsecretsecretsecret1", "different characters"),
        ("Kx9#mQ2!" * 4, "repeated"),
        ("Tr0ub4dor&3-Tr0ub4dor&3-Tr0ub4dor&3-", "repeated"),
        ("abcdefghijklmnopqrstuvwxyz0123456789", "runs"),
        ("0123456789abcdefghijABCDEFGHIJ9876543210", "runs"),
        ("benchmark-key-" + "x" * 40, "runs"),
        ("qwertyuiopasdfghjkl1111111111111111111", "runs"),
        ("your-secret-key-here-change-me-please", "placeholder"),
        ("example-example-example-example-1!", "placeholder"),
        ("changeme-please-replace-with-a-real-secret-0001", "placeholder"),
        ("MySuperSecretPassword!MySuperSecretKey#", "placeholder"),
    ],
)
def test_weak_keys_are_refused_with_a_reason(key: str, reason: str) -> None:
    weakness = key_weakness(key)
    assert weakness is not None
    assert reason in weakness


def _urlsafe(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@given(
    seed=st.integers(min_value=0, max_value=2**64),
    size=st.integers(min_value=24, max_value=96),
    hexadecimal=st.booleans(),
)
def test_random_keys_always_pass(seed: int, size: int, hexadecimal: bool) -> None:
    # What secrets.token_urlsafe(n) / token_hex(n) make, from bytes hypothesis cannot bend: a seeded
    # generator, so a counterexample is a reproducible random key, not a crafted one.
    data = random.Random(seed).randbytes(size if not hexadecimal else max(size, 16))
    key = data.hex() if hexadecimal else _urlsafe(data)
    assert key_weakness(key) is None, key


def _settings_error(**overrides: str | None) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, **overrides)
    return str(caught.value)


@pytest.mark.parametrize("key", ["a" * 32, "abcdefghijklmnopqrstuvwxyz0123456789", "changeme" * 5])
def test_a_weak_secret_key_stops_the_process_in_one_line(key: str) -> None:
    message = _settings_error(secret_key=key)
    assert "\n" not in message
    assert message.startswith("bad settings: GATEWAY_SECRET_KEY: ")
    assert "secrets.token_urlsafe(48)" in message  # how to make a good one
    assert key not in message  # a key is never printed, even a weak one


@pytest.mark.parametrize(
    ("previous", "expected"),
    [
        (f" {KEY_A} , {KEY_A} ", "key 2 is listed twice"),
        (KEY_B, "key 1 is GATEWAY_SECRET_KEY itself"),
    ],
)
def test_bad_previous_keys_stop_the_process_in_one_line(previous: str, expected: str) -> None:
    message = _settings_error(secret_key=KEY_B, previous_secret_keys=previous)
    assert "\n" not in message
    assert message.startswith("bad settings: GATEWAY_PREVIOUS_SECRET_KEYS: ")
    assert expected in message
    assert KEY_A not in message
    assert KEY_B not in message


def test_previous_keys_need_a_current_key() -> None:
    message = _settings_error(secret_key=None, previous_secret_keys=KEY_A)
    assert "needs GATEWAY_SECRET_KEY" in message


def test_previous_keys_are_read_as_a_list() -> None:
    settings = load_settings(_env_file=None, secret_key=KEY_B, previous_secret_keys=f"{KEY_A}, ,")
    assert settings.previous_keys == (KEY_A,)
    assert load_settings(_env_file=None, secret_key=KEY_B).previous_keys == ()


def test_a_weak_previous_key_is_taken_with_a_warning_that_never_names_it() -> None:
    # A rotation is how a weak old key is retired: refusing it would stop the very deployments
    # that must move away from it.
    from gateway.config import weak_previous_keys

    settings = load_settings(_env_file=None, secret_key=KEY_B, previous_secret_keys=f"{KEY_A},{'a' * 40}")
    [warning] = weak_previous_keys(settings)
    assert warning.startswith("GATEWAY_PREVIOUS_SECRET_KEYS key 2 is weak")
    assert "a" * 40 not in warning
