"""Phone numbers: normalise to E.164, and mask them wherever a person might read them."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers


class InvalidPhoneNumber(ValueError):
    pass


@lru_cache(maxsize=4096)
def to_e164(raw: str, default_region: str = "ML") -> str:
    """Normalise what a provider or organiser gives us (+223…, 00226…, 76 12 34 56) to E.164."""
    text = raw.strip()
    if not text or len(text) > 32:
        raise InvalidPhoneNumber("empty or too long")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(str(exc)) from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# Calling codes are prefix-free: at most one of a number's first one, two or three digits is one.
_COUNTRY_CODES = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
# With fewer national digits than this, even the last two say too much: all are hidden.
_TAIL_FROM = 6


def mask(number: str) -> str:
    """+22376123456 -> +223******56; 0022376123456 -> +223******56; 76 12 34 56 -> ******56.

    Shows at most the country code (only when the number was written with + or 00) and the last
    two digits: enough to tell two numbers apart in a log, never enough to call one. Takes anything
    a caller typed: only its digits count, and nothing else of it is kept."""
    written = number.lstrip(" (")
    digits = "".join(ch for ch in number if "0" <= ch <= "9")
    international = written.startswith("+") or written.startswith("00")
    if written.startswith("00"):
        digits = digits[2:]
    country = ""
    if international:
        country = next((digits[:n] for n in (1, 2, 3) if digits[:n] in _COUNTRY_CODES), "")
    national = digits[len(country) :]
    if len(national) >= _TAIL_FROM:
        shown = "*" * (len(national) - 2) + national[-2:]
    else:
        shown = "*" * max(len(national), 1)
    return f"+{country}{shown}" if international else shown


# How people write numbers: digits in groups, one space (or a non-breaking one), dot or dash between
# groups, perhaps "+223", "00223" or "(+223)" in front. Between digits a + is a space (in a URL).
_SPACE = "[ \u00a0\u202f+]"
_SEPARATOR = rf"(?:{_SPACE}{{1,2}}|{_SPACE}?[.\-]{_SPACE}?)"
_NUMBER = re.compile(rf"(?:\((?:\+|00)[0-9]{{1,3}}\){_SEPARATOR}?|\+)?[0-9](?:{_SEPARATOR}?[0-9])*")
# Fewer digits than this in a row are not masked (counts, ports, years, codes)...
_MIN_DIGITS = 7
# ...but after a + nothing else is that long: a number cut short (+223761…) is still masked.
_MIN_DIGITS_INTERNATIONAL = 5

# Things with many digits that are not phone numbers, found before numbers are looked for. A phone
# number never has a colon, and is not written like a date or an IPv4 address; 76.12.34.56 (four
# two-digit parts) is a Malian number, so it is not taken for an address.
_TIME = r"[0-9]{1,2}:[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?"
_NOT_DIGITS = [
    rf"(?<![0-9+])(?:19|20)[0-9]{{2}}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    rf"(?:[T ]{_TIME}(?:Z|[+-][0-9]{{2}}:?[0-9]{{2}})?)?(?![0-9]|-[0-9])",
    rf"(?<![0-9:.]){_TIME}(?![0-9])",
    r"(?<![0-9.+])(?P<ipv4>[0-9]{1,3}(?:\.[0-9]{1,3}){3})(?![0-9]|\.[0-9])",
    r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![0-9A-Za-z])",
]
_PROTECTED = re.compile("|".join(f"(?:{pattern})" for pattern in _NOT_DIGITS))
_HEX_LETTERS = frozenset("abcdefABCDEF")
_HEX_ID_CHARS = frozenset("0123456789abcdefABCDEF-")
_MIN_HEX_ID = 16


def _protected(match: re.Match[str]) -> bool:
    address = match.group("ipv4")
    if address is None:
        return True
    parts = address.split(".")
    return all(int(part) <= 255 for part in parts) and any(len(part) != 2 for part in parts)


def _inside_hex_id(text: str, start: int, end: int) -> bool:
    """Digits glued between two hex letters in a long hex string (a provider's message id, a hash)."""
    if start == 0 or end == len(text) or text[start - 1] not in _HEX_LETTERS or text[end] not in _HEX_LETTERS:
        return False
    left, right = start, end
    while left > 0 and text[left - 1] in _HEX_ID_CHARS:
        left -= 1
    while right < len(text) and text[right] in _HEX_ID_CHARS:
        right += 1
    return right - left >= _MIN_HEX_ID


def _masked_numbers(text: str, start: int, end: int) -> str:
    """text[start:end] with every run of digits that may be a phone number masked."""
    pieces, position = [], start
    for found in _NUMBER.finditer(text, start, end):
        run = found.group(0)
        minimum = _MIN_DIGITS_INTERNATIONAL if run[0] in "+(" else _MIN_DIGITS
        keep = sum("0" <= ch <= "9" for ch in run) < minimum or (
            set(run) <= _HEX_ID_CHARS and _inside_hex_id(text, found.start(), found.end())
        )
        pieces += [text[position : found.start()], run if keep else mask(run)]
        position = found.end()
    pieces.append(text[position:end])
    return "".join(pieces)


def mask_in_text(text: str) -> str:
    """Masks (with `mask`) whatever in free text may be a phone number: seven digits or more in a
    run however they are grouped, five after a +. Dates, clock times, IPv4 addresses, UUIDs and
    digits glued inside a long hex id stay as they are; anything else with that many digits is
    masked, since a garbled count costs less than a leaked number."""
    if not any("0" <= ch <= "9" for ch in text):
        return text
    pieces, position = [], 0
    for found in _PROTECTED.finditer(text):
        if _protected(found):
            pieces += [_masked_numbers(text, position, found.start()), found.group(0)]
            position = found.end()
    pieces.append(_masked_numbers(text, position, len(text)))
    return "".join(pieces)


def region_of(e164: str) -> str | None:
    """The country a number belongs to (ML, BF, …), from its prefix; None when it cannot tell."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
    return str(region) if region and region != "ZZ" else None
