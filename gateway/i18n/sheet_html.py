"""A review sheet as one self-contained HTML page: no script, no font or style from elsewhere, so
it opens offline and prints as it shows."""

from __future__ import annotations

from html import escape

from gateway.i18n.display import Display
from gateway.i18n.sheet import Entry, Item, Sheet

_STYLE = """
body{font-family:"DejaVu Sans","Noto Sans",Arial,sans-serif;margin:1.5em;color:#111}
h1{font-size:1.4em}h2{font-size:1.1em;margin:1.6em 0 .4em;border-top:1px solid #999;padding-top:.6em}
.pair{display:flex;gap:1.5em;flex-wrap:wrap}
.phone{font-family:"DejaVu Sans Mono","Noto Sans Mono",monospace;white-space:pre-wrap;border:2px solid #333;
border-radius:8px;padding:.5em .7em;width:24em;background:#f7f7f2;font-size:.95em}
.phone.fr{border-color:#888;color:#444}.over{color:#b00;font-weight:bold}
table{border-collapse:collapse;width:100%;margin-top:.5em;font-size:.9em}
th,td{border:1px solid #aaa;padding:.3em;vertical-align:top;text-align:left}
td.verdict{width:13em;white-space:nowrap}.missing{background:#fff0f0}.draft{background:#fffbe6}
.reviewed{background:#eef8ee}.id{font-family:monospace;font-size:.85em}.note{color:#555;font-size:.85em}
@media print{.pair{break-inside:avoid}h2{break-after:avoid}}
"""


def sheet_html(sheet: Sheet) -> str:
    counts = ", ".join(f"{n} {state}" for state, n in sheet.counts.items())
    parts = [
        "<!doctype html>",
        f'<html lang="{escape(sheet.language)}"><head><meta charset="utf-8">',
        f"<title>Review sheet: {escape(sheet.name)} ({escape(sheet.language)})</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Review sheet: {escape(sheet.name)} ({escape(sheet.language)})</h1>",
        f"<p>Made {escape(sheet.generated)}. Messages: {escape(counts)}. Each screen is shown exactly as "
        "the phone shows it (GSM-7 spelling), beside the French. Under it, the messages it shows first: "
        "tick a verdict, write a correction or a comment. Length and limit count characters of the "
        "text as written, placeholders such as {reference} included. How to review: "
        "docs/translation.md.</p>",
    ]
    for item in sheet.items:
        parts.append(_item(item))
    if sheet.others:
        parts.append("<h2>Messages not on any screen or SMS above</h2>")
        parts.append(_entries(sheet.others))
    parts.append("</body></html>")
    return "\n".join(parts)


def _item(item: Item) -> str:
    display = item.display
    title = f"{'USSD' if display.kind == 'ussd' else 'SMS'} {display.where}"
    if display.variant:
        title += f" ({display.variant})"
    out = [f"<section><h2>{escape(title)}</h2>", '<div class="pair">', _phone(display, "")]
    if item.french is not None:
        out.append(_phone(item.french, "fr"))
    out.append("</div>")
    if item.entries:
        out.append(_entries(item.entries))
    out.append("</section>")
    return "\n".join(out)


def _phone(display: Display, css: str) -> str:
    over = display.units > display.budget
    size = f"{display.units}/{display.budget}"
    label = f'<span class="over">{size} over the limit</span>' if over else size
    return (
        f'<div><div class="phone {css}">{escape(display.text)}</div>'
        f'<div class="note">{"French" if css else "as shown"}: {label} characters</div></div>'
    )


def _entries(entries: tuple[Entry, ...]) -> str:
    rows = [
        "<table><tr><th>message id</th><th>French</th><th>text (standard spelling)</th>"
        "<th>length / limit</th><th>glossary terms</th><th>verdict</th></tr>"
    ]
    for entry in entries:
        text = (
            escape(entry.text)
            if entry.text
            else f"<em>missing: shows {escape(entry.fallback or 'the id')}</em>"
        )
        limit = "-" if entry.limit is None else str(entry.limit)
        length = (
            f'<span class="over">{entry.length} / {limit}</span>'
            if entry.over
            else f"{entry.length} / {limit}"
        )
        notes = "".join(f'<div class="note">{escape(n)}</div>' for n in entry.notes)
        terms = "<br>".join(escape(t) for t in entry.terms) or "-"
        rows.append(
            f'<tr class="{entry.state}"><td class="id">{escape(entry.msgid)}<br>{entry.state}</td>'
            f"<td>{escape(entry.french)}</td><td>{text}{notes}</td><td>{length}</td><td>{terms}</td>"
            '<td class="verdict">&#9744; approve<br>&#9744; correction<br>&#9744; comment</td></tr>'
        )
    rows.append("</table>")
    return "\n".join(rows)
