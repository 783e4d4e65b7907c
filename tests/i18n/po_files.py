"""Small catalogs written to a temporary locales tree: what the i18n tests build on."""

from __future__ import annotations

from pathlib import Path

from gateway.i18n.catalogs import po_path

HEADER = """# {lang} test catalog
{comment}msgid ""
msgstr ""
"Language: {lang}\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: {plural}\\n"
"X-Review-Status: draft - test\\n"

"""
PLURALS = {"fr": "nplurals=2; plural=(n > 1);", "bm": "nplurals=1; plural=0;", "dyu": "nplurals=1; plural=0;"}


def write_po(root: Path, lang: str, entries: str, plural: str | None = None, comment: str = "") -> Path:
    path = po_path(root, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    plural = plural or PLURALS.get(lang, "nplurals=2; plural=(n != 1);")
    text = HEADER.format(lang=lang, plural=plural, comment=f"# {comment}\n" if comment else "")
    path.write_text(text + entries, encoding="utf-8")
    return path
