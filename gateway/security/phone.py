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


_PHONE_LIKE = re.compile(r"\+?\d[\d \-]{6,18}\d")


def mask(e164: str) -> str:
    """+22376123456 -> +2237*****56: enough to tell two numbers apart in a log, not to call one."""
    digits = e164.lstrip("+")
    if len(digits) <= 6:
        return "+" + "*" * len(digits) if e164.startswith("+") else "*" * len(digits)
    shown_head = digits[:4]
    shown_tail = digits[-2:]
    prefix = "+" if e164.startswith("+") else ""
    return f"{prefix}{shown_head}{'*' * (len(digits) - 6)}{shown_tail}"


def mask_in_text(text: str) -> str:
    """Masks anything in free text that looks like a phone number (for log lines)."""
    return _PHONE_LIKE.sub(lambda m: mask(re.sub(r"[ \-]", "", m.group(0))), text)
