"""PhoneVault during a key rotation: the new key encrypts and hashes, the previous ones still open
and still find what they stored."""

from __future__ import annotations

import pytest

from gateway.security.keys import PhoneVault
from tests.security.keyring import KEY_A, KEY_B, KEY_UNKNOWN

PHONE = "+22376123456"


@pytest.fixture(scope="module")
def rotating() -> PhoneVault:
    return PhoneVault(KEY_B, (KEY_A,))


def test_lookup_hashes_are_the_new_keys_first_then_each_previous_keys(rotating: PhoneVault) -> None:
    hashes = rotating.lookup_hashes(PHONE)
    assert hashes == (PhoneVault(KEY_B).lookup_hash(PHONE), PhoneVault(KEY_A).lookup_hash(PHONE))
    assert rotating.lookup_hash(PHONE) == hashes[0]  # new rows are written under the new key


def test_without_previous_keys_there_is_one_hash() -> None:
    vault = PhoneVault(KEY_A)
    assert vault.lookup_hashes(PHONE) == (vault.lookup_hash(PHONE),)
    assert not vault.rotating


def test_old_numbers_decrypt_and_new_ones_are_under_the_new_key(rotating: PhoneVault) -> None:
    old = PhoneVault(KEY_A).encrypt(PHONE)
    assert rotating.decrypt(old) == PHONE
    assert rotating.decrypt_with_index(old) == (PHONE, 1)
    new = rotating.encrypt(PHONE)
    assert PhoneVault(KEY_B).decrypt(new) == PHONE
    assert rotating.decrypt_with_index(new) == (PHONE, 0)
    with pytest.raises(ValueError, match="cannot be decrypted"):
        PhoneVault(KEY_A).decrypt(new)


@pytest.mark.parametrize("token", [PhoneVault(KEY_UNKNOWN).encrypt(PHONE), "", "not a token", "é"])
def test_what_no_key_opens_is_a_value_error(rotating: PhoneVault, token: str) -> None:
    with pytest.raises(ValueError, match="cannot be decrypted"):
        rotating.decrypt(token)
    with pytest.raises(ValueError, match="cannot be decrypted"):
        rotating.decrypt_with_index(token)


def test_hashes_are_cached(rotating: PhoneVault) -> None:
    # Every USSD hop and SMS hashes its number: the cache is what keeps that cheap.
    rotating.lookup_hashes(PHONE)
    before = rotating.lookup_hashes.cache_info().hits  # type: ignore[attr-defined]
    rotating.lookup_hashes(PHONE)
    assert rotating.lookup_hashes.cache_info().hits == before + 1  # type: ignore[attr-defined]
