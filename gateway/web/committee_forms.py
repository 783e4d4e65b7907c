"""The committee pages' forms as the console reads them: every field cut to size, checked, and
any problem said as a catalog id with the field it is about (a `Refusal`), so that the page shows
it in French next to that field with everything typed kept. Also the schedule said in French."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from starlette.datastructures import FormData

from gateway.committees.schedule import WEEKDAYS, ScheduleError, parse_schedule
from gateway.committees.service import NAME_MAX, CommitteeError
from gateway.i18n.languages import CODES
from gateway.security.phone import InvalidPhoneNumber, mask_in_text, to_e164
from gateway.security.text import strip_controls
from gateway.web.fields import whole_number

TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
# The time zones of the forum's two countries (both UTC all year); the API takes any other.
TIME_ZONES = ("Africa/Bamako", "Africa/Ouagadougou")
ROLE_MAX = 64
PHONE_MAX = 32
# What a typed number may hold besides digits: the separators people use, and a leading + or 00.
PHONE_CHARACTERS = frozenset("0123456789 +-.()\u00a0")
# The service's problems (CommitteeError.code) as the console says them.
SERVICE_ERRORS = {
    "name_missing": "console.committees.error.name_missing",
    "name_long": "console.committees.error.name_long",
    "name_taken": "console.committees.error.name_taken",
    "unknown_area": "console.committees.error.unknown_area",
    "no_area": "console.committees.error.no_area",
    "member_name": "console.committees.page.error.name",
    "role_long": "console.committees.page.error.role_long",
    "language": "console.committees.page.error.language",
    "phone": "console.committees.page.error.phone_invalid",
    "phone_taken": "console.committees.page.error.phone_taken",
}


@dataclass
class Refusal:
    """What was wrong with a form: the message (a catalog id, its values) and the field it is about."""

    message: str
    field: str
    values: dict[str, object] = dataclasses.field(default_factory=dict)


def text_field(form: FormData, name: str, limit: int = 200) -> str:
    # Anything longer than `limit` is cut here and refused by the length checks that follow it.
    value = form.get(name)
    return strip_controls(value)[:limit].strip() if isinstance(value, str) else ""


def ticked(form: FormData, name: str) -> bool:
    return text_field(form, name).lower() in {"1", "on", "true", "oui"}


def holds_number(text: str) -> bool:
    """A name or role with a phone number in it would show that number on every page naming it."""
    return mask_in_text(text) != text


def phone_problem(raw: str, region: str) -> Refusal | None:
    """Why a typed number is refused, as precisely as can be said; None when it is a number.
    The rule is the service's (security.phone.to_e164); this only says which part of it failed."""
    text = raw.strip()
    if not text:
        return Refusal("console.committees.page.error.phone_missing", "phone")
    if len(text) > PHONE_MAX:
        return Refusal("console.committees.page.error.phone_long", "phone", {"max": PHONE_MAX})
    if not set(text) <= PHONE_CHARACTERS or "+" in text[1:]:
        return Refusal("console.committees.page.error.phone_characters", "phone")
    try:
        to_e164(text, region)
    except InvalidPhoneNumber:
        pass
    else:
        return None
    try:
        parsed = phonenumbers.parse("+" + text[2:] if text.startswith("00") else text, region)
    except phonenumbers.NumberParseException as exc:
        said = {
            phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "phone_country",
            phonenumbers.NumberParseException.TOO_SHORT_NSN: "phone_short",
            phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "phone_short",
            phonenumbers.NumberParseException.TOO_LONG: "phone_too_many",
        }.get(exc.error_type, "phone_invalid")
        return Refusal(f"console.committees.page.error.{said}", "phone")
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    said = {
        phonenumbers.ValidationResult.TOO_SHORT: "phone_short",
        phonenumbers.ValidationResult.TOO_LONG: "phone_too_many",
        phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "phone_country",
    }.get(reason, "phone_invalid")
    return Refusal(f"console.committees.page.error.{said}", "phone")


@dataclass(frozen=True)
class Said:
    """A catalog id and its values: what a template passes to `_`."""

    msgid: str
    values: dict[str, object]


def schedule_said(schedule: str, timezone: str) -> Said:
    try:
        parsed = parse_schedule(schedule, timezone)
    except ScheduleError:  # stored before a rule changed: shown as written
        return Said("console.committees.schedule.raw", {"schedule": schedule})
    time = f"{parsed.hour:02d}:{parsed.minute:02d}"
    if parsed.weekday is None:
        return Said("console.committees.schedule.daily", {"time": time, "zone": timezone})
    return Said(
        "console.committees.schedule.weekly",
        {"day": f"console.committees.weekday.{WEEKDAYS[parsed.weekday]}", "time": time, "zone": timezone},
    )


def local_time(moment: datetime | None, timezone: str) -> str:
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def schedule_from(form: dict[str, Any]) -> tuple[str, Refusal | None]:
    """The schedule the service reads ('daily 08:00', 'weekly mon 08:00') from the form's fields."""
    frequency, weekday, time, timezone = form["frequency"], form["weekday"], form["time"], form["timezone"]
    if frequency not in ("daily", "weekly"):
        return "", Refusal("console.committees.error.frequency", "frequency")
    if frequency == "weekly" and weekday not in WEEKDAYS:
        return "", Refusal("console.committees.error.weekday", "weekday")
    matched = TIME.fullmatch(time)
    if matched is None:
        return "", Refusal("console.committees.error.time", "time")
    if timezone not in TIME_ZONES:
        return "", Refusal("console.committees.error.timezone", "timezone")
    when = f"{int(matched.group(1)):02d}:{matched.group(2)}"
    return (f"daily {when}" if frequency == "daily" else f"weekly {weekday} {when}"), None


def member_form(raw: FormData, region: str) -> tuple[dict[str, Any], Refusal | None]:
    form: dict[str, Any] = {
        "name": text_field(raw, "name", NAME_MAX + 1),
        "role": text_field(raw, "role", ROLE_MAX + 1),
        "phone": text_field(raw, "phone", PHONE_MAX + 1),
        "language": text_field(raw, "language", 8),
        "summaries": ticked(raw, "summaries"),
        "alerts": ticked(raw, "alerts"),
    }
    name, role = " ".join(form["name"].split()), form["role"]
    if not name:
        return form, Refusal("console.committees.page.error.name", "name", {"max": NAME_MAX})
    if len(name) > NAME_MAX:
        return form, Refusal("console.committees.page.error.name", "name", {"max": NAME_MAX})
    if holds_number(name):
        return form, Refusal("console.committees.page.error.name_phone", "name")
    if len(role) > ROLE_MAX:
        return form, Refusal("console.committees.page.error.role_long", "role", {"max": ROLE_MAX})
    if holds_number(role):
        return form, Refusal("console.committees.page.error.role_phone", "role")
    if form["language"] not in CODES:
        return form, Refusal("console.committees.page.error.language", "language")
    return form, phone_problem(form["phone"], region)


def service_refusal(exc: CommitteeError, field: str) -> Refusal:
    """The committee service's refusal as the console words it; `field` when it names none."""
    refusal = Refusal(SERVICE_ERRORS.get(exc.code, "console.committees.error.other"), exc.field or field)
    refusal.values["max"] = NAME_MAX
    return refusal


def areas_from(raw: FormData) -> tuple[set[int], Refusal | None]:
    """The areas ticked (the `area` check boxes): ids, refused when one is not a number or none is."""
    picked = [strip_controls(v)[:12].strip() for v in raw.getlist("area") if isinstance(v, str)][:500]
    numbers = [whole_number(v) for v in picked]
    ids = {i for i in numbers if i is not None}
    if None in numbers:
        return ids, Refusal("console.committees.error.unknown_area", "areas")
    if not ids:
        return ids, Refusal("console.committees.error.no_area", "areas")
    return ids, None


def committee_form(raw: FormData) -> tuple[dict[str, Any], Refusal | None]:
    """A committee's name and areas as its edit form sends them."""
    form: dict[str, Any] = {"name": text_field(raw, "name", NAME_MAX + 1)}
    form["areas"], refusal = areas_from(raw)
    if refusal is None and holds_number(form["name"]):
        refusal = Refusal("console.committees.error.name_phone", "name")
    return form, refusal


def member_change_form(raw: FormData, region: str) -> tuple[dict[str, Any], Refusal | None]:
    """A member's language and, when one is typed, their new number; an empty number keeps theirs."""
    form: dict[str, Any] = {
        "language": text_field(raw, "language", 8),
        "phone": text_field(raw, "phone", PHONE_MAX + 1),
    }
    if form["language"] not in CODES:
        return form, Refusal("console.committees.page.error.language", "language")
    return form, phone_problem(form["phone"], region) if form["phone"] else None
