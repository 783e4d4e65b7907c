"""The four languages, their gettext fallback chains and the locale used for formatting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# The one list of the languages: settings, the API's types and the catalogs all read it.
LanguageCode = Literal["fr", "bm", "dyu", "mos"]


@dataclass(frozen=True)
class Language:
    code: str
    native_name: str
    fallbacks: tuple[str, ...]
    # Babel/CLDR has no data for dyu or mos; numbers and dates for them use the project's own
    # locale data where it exists, and fr_BF's otherwise.
    babel_locale: str


LANGUAGES: dict[str, Language] = {
    "fr": Language("fr", "Français", (), "fr"),
    "bm": Language("bm", "Bamanankan", ("fr",), "bm"),
    "dyu": Language("dyu", "Julakan", ("bm", "fr"), "fr_BF"),
    "mos": Language("mos", "Mooré", ("fr",), "fr_BF"),
}
CODES: tuple[str, ...] = get_args(LanguageCode)
assert CODES == tuple(LANGUAGES), "LanguageCode and LANGUAGES name the same languages, in order"
SOURCE_LANGUAGE = "fr"


def chain(code: str) -> tuple[str, ...]:
    """The catalogs to look in, in order: dyu -> (dyu, bm, fr)."""
    language = LANGUAGES[code]
    return (language.code, *language.fallbacks)
