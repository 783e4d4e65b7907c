"""Turning a screen into what the handset shows: translated, GSM-7 spelled, within the limit."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.i18n.catalogs import Translator
from gateway.i18n.text import fill, measure


@dataclass(frozen=True)
class Label:
    """A message id with its placeholders, or literal text (an area's name, a reference)."""

    msgid: str | None = None
    text: str | None = None
    params: Mapping[str, Label] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.msgid is not None:
            out["m"] = self.msgid
        if self.text is not None:
            out["t"] = self.text
        if self.params:
            out["p"] = {k: v.to_json() for k, v in self.params.items()}
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Label:
        params = raw.get("p") or {}
        assert isinstance(params, Mapping)
        msgid = raw.get("m")
        text = raw.get("t")
        return cls(
            msgid=msgid if isinstance(msgid, str) else None,
            text=text if isinstance(text, str) else None,
            params={k: cls.from_json(v) for k, v in params.items()},
        )


def render_label(label: Label, tr: Translator, values: Mapping[str, str] | None = None) -> str:
    if label.text is not None:
        return label.text
    assert label.msgid is not None
    template = tr.gettext(label.msgid)
    if not label.params:
        return fill(template, values or {})
    own = {key: render_label(value, tr) for key, value in label.params.items()}
    # The label's own parameters first, then the screen's answers, read only if named.
    return fill(template, ChainMap(own, values or {}))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Footer:
    more: str
    back: str
    home: str


def _footer_line(footer: Footer, *, more: bool, back: bool, home: bool) -> str:
    parts = []
    if more:
        parts.append(f"99 {footer.more}")
    if back:
        parts.append(f"0 {footer.back}")
    if home:
        parts.append(f"00 {footer.home}")
    return " ".join(parts)


def paginate(
    head: str, options: list[str], footer: Footer, language: str, limit: int, *, back: bool, home: bool
) -> list[tuple[int, int]]:
    """Split numbered option lines into pages that fit `limit` septets with head and footer.

    Every page repeats the head; pages after the first always offer "0 back".
    """
    pages: list[tuple[int, int]] = []
    start = 0
    while True:
        end = start
        page_back = back or bool(pages)
        while end < len(options):
            more = end + 1 < len(options)
            candidate = _compose(head, options[start : end + 1], footer, more, page_back, home)
            over = measure(candidate, language) > limit
            if over and end > start:
                break
            end += 1
            if over:
                break  # a single option that does not fit: flows check reports it
        pages.append((start, end))
        if end >= len(options):
            return pages
        start = end


def _compose(head: str, lines: list[str], footer: Footer, more: bool, back: bool, home: bool) -> str:
    parts = [head, *lines] if head else list(lines)
    nav = _footer_line(footer, more=more, back=back, home=home)
    if nav:
        parts.append(nav)
    return "\n".join(parts)


def compose_page(
    head: str, options: list[str], page: tuple[int, int], footer: Footer, *, back: bool, home: bool
) -> str:
    start, end = page
    return _compose(head, options[start:end], footer, end < len(options), back or start > 0, home)


def compose_plain(head: str, footer: Footer, *, back: bool, home: bool) -> str:
    return _compose(head, [], footer, False, back, home)
