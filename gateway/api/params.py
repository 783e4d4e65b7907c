"""Parameter types shared by the admin API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BeforeValidator, Field

from gateway.i18n.languages import LanguageCode
from gateway.security.text import strip_controls

# Database ids are 32-bit; anything outside is "no such thing", said as a 422 before any query.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]

# Every string an organiser sends, cleaned of control characters (NUL and the like) first.
Clean = Annotated[str, BeforeValidator(lambda v: strip_controls(v) if isinstance(v, str) else v)]


_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _plausible(moment: datetime) -> datetime:
    # A date near year 9999 overflows once moved to UTC, and PostgreSQL refuses it: a 422 naming
    # the field instead of a 500. Naive times keep their meaning; only the range is checked.
    try:
        utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        raise ValueError("date out of range (2000 to 2100)") from None
    if not _EARLIEST <= utc < _LATEST:
        raise ValueError("date out of range (2000 to 2100)")
    return moment


# Every date and time an organiser or a program sends.
Moment = Annotated[datetime, AfterValidator(_plausible)]


# A text per language, as organisers write them (a meeting's title and agenda, an announcement).
Texts = dict[LanguageCode, Annotated[Clean, Field(max_length=1000)]]


def plain(texts: Texts) -> dict[str, str]:
    return {str(language): text for language, text in texts.items()}
