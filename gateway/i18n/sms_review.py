"""Every SMS the gateway writes, filled with sample values and spelled as it is sent: for review
sheets, and for the length each message may take (no more segments than the French)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from gateway.i18n.catalogs import Translator
from gateway.i18n.display import Display, Part
from gateway.i18n.gsm7 import Encoding, sms_encoding, to_gsm7
from gateway.i18n.text import fill


def render_sms(
    msgids: Iterable[str],
    tr: Translator,
    french: Translator,
    samples: Mapping[str, str],
    fragments: Mapping[str, Sequence[str]],
    plurals: set[str],
    gsm7: bool,
) -> list[Display]:
    """`samples`: the longest value each placeholder takes; `fragments`: placeholders filled with
    a message of their own (`status` with a report status), the longest in each language."""
    displays = []
    for msgid in msgids:
        text, parts = _fill(msgid, tr, samples, fragments, plurals)
        french_text, _ = _fill(msgid, french, samples, fragments, plurals)
        body = to_gsm7(text, tr.code) if gsm7 else text
        sent = sms_encoding(body)
        segments = max(1, sms_encoding(to_gsm7(french_text, "fr") if gsm7 else french_text).segments)
        budget = capacity(segments, sent)
        displays.append(
            Display(
                kind="sms",
                where=msgid,
                variant="",
                text=body,
                units=sent.units,
                budget=budget,
                parts=tuple(Part(m, t, budget - sent.units) for m, t in parts),
            )
        )
    return displays


def capacity(segments: int, encoding: Encoding) -> int:
    """What `segments` SMS hold in this encoding: 160/153 septets, 70/67 UCS-2 units."""
    single, each = (160, 153) if encoding.name == "GSM-7" else (70, 67)
    return single if segments == 1 else each * segments


def _fill(
    msgid: str,
    tr: Translator,
    samples: Mapping[str, str],
    fragments: Mapping[str, Sequence[str]],
    plurals: set[str],
) -> tuple[str, list[tuple[str, str]]]:
    values = dict(samples)
    parts: list[tuple[str, str]] = []
    if msgid in plurals:
        template = tr.ngettext(msgid, msgid, int(samples.get("total", "2")))
    else:
        template = tr.gettext(msgid)
    parts.append((msgid, template))
    for name, members in fragments.items():
        if "{" + name + "}" not in template or not members:
            continue
        longest = max(members, key=lambda m: len(tr.gettext(m)))
        values[name] = tr.gettext(longest)
        parts.append((longest, values[name]))
    return fill(template, values), parts
