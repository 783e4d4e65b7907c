from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

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


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("+22376123456", "+223******56"),
        ("+22670123456", "+226******56"),
        ("0022376123456", "+223******56"),
        ("(+223) 76 12 34 56", "+223******56"),
        ("76123456", "******56"),  # was 7612**56: six of eight digits
        ("76.12.34.56x", "******56"),  # what a caller typed: only its digits count
        ("+254711000111", "+254*******11"),
        ("12345", "*****"),  # too short to show even the last two
        ("", "*"),
    ],
)
def test_mask_shows_the_country_code_and_the_last_two_digits_at_most(written: str, masked: str) -> None:
    assert mask(written) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("caller +22376123456 said", "caller +223******56 said"),
        ("caller 0022376123456 said", "caller +223******56 said"),
        ("caller 76123456 said", "caller ******56 said"),
        ("appelez 76.12.34.56.", "appelez ******56."),
        ("appelez +223.76.12.34.56", "appelez +223******56"),
        ("appelez 76 12 34 56 ou 76-12-34-56", "appelez ******56 ou ******56"),
        ("(+226) 70 12 34 56", "+226******56"),
        ("?caller=76+12+34+56", "?caller=******56"),  # spaces in a URL's query
        ("+223761", "+223***"),  # cut short, but after a + nothing else has five digits
        ("00226 70-12-34-56", "+226******56"),
        ("au76123456svp", "au******56svp"),
        (
            "[parameters: ('+22376123456', 'Vol 76 12 34 56')]",
            "[parameters: ('+223******56', 'Vol ******56')]",
        ),
        # When in doubt, mask: an address of four two-digit parts is written like a Malian number,
        # a seven-digit count may be a number short of a digit, digits at the edge of an id may
        # be a number glued to it.
        ("10.12.34.56", "******56"),
        ("1048576 bytes", "*****76 bytes"),
        ("ATXid_76123456bd1d7a3e2e1b2d4f", "ATXid_******56bd1d7a3e2e1b2d4f"),
    ],
)
def test_numbers_in_text_are_masked_however_written(text: str, masked: str) -> None:
    assert mask_in_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1:8000",
        "from 192.168.100.200",
        "2026-12-02",
        "2026-12-02 12:34:56,789 INFO gateway: up",
        "2026-12-02T12:34:56.123456+00:00",
        "took 12:34:56.789012",
        "ATXid_5d8ac2e1bd1d7a3e2e1b2d4f0c87c1b6",
        "ATXid_5d8ac2e1bd17612345678e2e1b2d4f0c8",  # a long run of digits, but inside the id
        "5d8ac2e1-bd1d-4a3e-9e1b-2d4f0c87c1b6",
        "123e4567-e89b-12d3-a456-426614174000",
        '"POST /callbacks/africastalking/sms HTTP/1.1" 200',
        "R-7K3F, 123456 rows, python3.11, port 54321, UTC+0100",
    ],
)
def test_what_is_not_a_phone_number_is_left_alone(text: str) -> None:
    assert mask_in_text(text) == text


# Mali (+223) and Burkina Faso (+226) numbers have eight national digits; people write them in
# pairs or not, with spaces, dots or dashes, with or without +223, 00223 or (+223) in front.
PREFIXES = ["", "+{}", "00{}", "(+{})", "(00{})"]
JOINERS = ["", " ", "-", ".", "\u00a0"]
GROUPINGS = [(8,), (2, 2, 2, 2), (4, 4), (2, 3, 3), (3, 3, 2)]
SEPARATORS = ["", " ", "-", ".", " - ", "  ", "\u00a0", "\u202f"]
HEX_LETTERS = set("abcdefABCDEF")


@dataclass(frozen=True)
class Written:
    text: str
    national: str
    shown_country: str  # the country code, when the number was written with one


@st.composite
def written_numbers(draw: st.DrawFn) -> Written:
    national = draw(st.from_regex(r"[2-9][0-9]{7}", fullmatch=True))
    country = draw(st.sampled_from(["223", "226"]))
    prefix = draw(st.sampled_from(PREFIXES)).format(country)
    joiner = draw(st.sampled_from(JOINERS)) if prefix else ""
    separator = draw(st.sampled_from(SEPARATORS))  # one per number, as people write them
    groups, start = [], 0
    for size in draw(st.sampled_from(GROUPINGS)):
        groups.append(national[start : start + size])
        start += size
    return Written(prefix + joiner + separator.join(groups), national, country if prefix else "")


def digits(text: str) -> str:
    return "".join(ch for ch in text if "0" <= ch <= "9")


@given(written_numbers())
def test_a_masked_number_shows_only_its_country_code_and_last_two_digits(number: Written) -> None:
    assert digits(mask(number.text)) == number.shown_country + number.national[-2:]


NO_DIGITS = st.text(st.characters(exclude_characters="0123456789"))


@given(NO_DIGITS, written_numbers(), NO_DIGITS)
@example("Appelez le", Written("76.12.34.56", "76123456", ""), "x svp")
@example("tel:", Written("+223.76.12.34.56", "76123456", "223"), "")
def test_a_number_in_any_text_leaves_no_more_than_its_last_two_digits(
    before: str, number: Written, after: str
) -> None:
    # What the masker knowingly leaves alone, and no real text glues to a number: a "+" just before
    # it (that makes another number, +7…), a dash (it could be a UUID's), hex letters on both sides
    # (digits inside a hex id).
    assume(not before.endswith("+") and "-" not in (before[-1:], after[:1]))
    assume(not (before[-1:] in HEX_LETTERS and after[:1] in HEX_LETTERS))
    masked = mask_in_text(before + number.text + after)
    assert masked == before + mask(number.text) + after
    # The text around has no digits, so every digit of the result is one the number shows: exactly
    # its country code (if written) and last two. No three national digits in a row survive, in
    # whatever form (a stricter check than searching for them: it also catches 76.1 or 7 6 1).
    assert digits(masked) == number.shown_country + number.national[-2:]


DELIMITERS = st.sampled_from(["\n", ", ", "; ", "\t", " | ", '"', "'", "=", "/", ")"])


@given(st.text(), DELIMITERS, written_numbers(), DELIMITERS, st.text())
def test_text_around_a_number_does_not_change_how_it_is_masked(
    before: str, left: str, number: Written, right: str, after: str
) -> None:
    # Digits may be anywhere around it (dates, counts, other numbers): past a delimiter, none of it
    # changes what is shown of the number.
    masked = mask_in_text(before + left + number.text + right + after)
    assert masked == mask_in_text(before + left) + mask(number.text) + mask_in_text(right + after)
