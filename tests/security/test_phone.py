from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.logging import MaskPhones
from gateway.security.keys import PhoneVault
from gateway.security.phone import InvalidPhoneNumber, mask, mask_in_text, to_e164


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+22376123456", "ML", "+22376123456"),
        ("0022376123456", "ML", "+22376123456"),
        ("76 12 34 56", "ML", "+22376123456"),
        ("70 12 34 56", "BF", "+22670123456"),
        ("+226 70-12-34-56", "ML", "+22670123456"),
        ("+254711000111", "ML", "+254711000111"),
    ],
)
def test_e164(raw: str, region: str, e164: str) -> None:
    assert to_e164(raw, region) == e164


@pytest.mark.parametrize("raw", ["", "   ", "abc", "+", "123", "+99912", "1" * 40])
def test_bad_numbers(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        to_e164(raw)


@given(st.text(max_size=40))
def test_normalising_never_crashes(raw: str) -> None:
    try:
        to_e164(raw)
    except InvalidPhoneNumber:
        pass


def test_mask() -> None:
    assert mask("+22376123456") == "+2237*****56"
    assert "76123456" not in mask_in_text("caller +22376123456 and 0022376123456 said")


def test_log_filter_masks_numbers(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.mask")
    logger.addFilter(MaskPhones())
    with caplog.at_level(logging.INFO, logger="test.mask"):
        logger.info("hop from %s", "+22376123456")
    assert "+22376123456" not in caplog.text
    assert "+2237*****56" in caplog.text


def test_vault_round_trip_and_keyed_hash() -> None:
    vault = PhoneVault("a" * 40)
    token = vault.encrypt("+22376123456")
    assert "22376123456" not in token
    assert vault.decrypt(token) == "+22376123456"
    assert vault.lookup_hash("+22376123456") == PhoneVault("a" * 40).lookup_hash("+22376123456")
    other = PhoneVault("b" * 40)
    assert other.lookup_hash("+22376123456") != vault.lookup_hash("+22376123456")
    with pytest.raises(ValueError, match="cannot be decrypted"):
        other.decrypt(token)


def test_log_filter_masks_the_callback_token(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.mask.token")
    logger.addFilter(MaskPhones())
    with caplog.at_level(logging.INFO, logger="test.mask.token"):
        logger.info('"POST /callbacks/africastalking/ussd?token=s3cret&x=1 HTTP/1.1" 200')
    assert "s3cret" not in caplog.text
    assert "token=***&x=1" in caplog.text
