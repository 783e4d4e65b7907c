"""A native reviewer's verdicts, read from a CSV or YAML file and written into the catalogs.

approve: the translation is right (its `fuzzy` flag goes); correction: `text` replaces it and
counts as reviewed; comment: a note for translators. Who and when go into the entry (a
translator comment) and the catalog header. Everything is checked before anything is written:
one bad row and nothing changes (the CLI also checks the screens still fit).
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from babel.messages.catalog import Catalog, Message

from gateway.i18n.catalogs import ProjectCatalog, by_key
from gateway.i18n.flags import is_translated, mark_reviewed
from gateway.i18n.gsm7 import to_gsm7
from gateway.i18n.languages import CODES, SOURCE_LANGUAGE
from gateway.i18n.text import placeholders

VERDICTS = ("approve", "correction", "comment")
PLURAL_SEPARATOR = " | "
_MAX_NAME, _MAX_COMMENT = 80, 1000


class VerdictError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Verdict:
    where: str  # "file.csv line 7", for error messages
    language: str
    msgid: str
    verdict: str
    text: str = ""
    comment: str = ""
    current: str | None = None  # the text the reviewer saw, when the file says


@dataclass
class Applied:
    approved: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    commented: list[str] = field(default_factory=list)


def read_verdicts(path: Path, language: str | None = None) -> list[Verdict]:
    """The filled rows of a verdict file; rows with no verdict (not reviewed yet) are skipped."""
    try:
        rows = _yaml_rows(path) if path.suffix.lower() in (".yaml", ".yml") else _csv_rows(path)
    except (OSError, UnicodeDecodeError, csv.Error, yaml.YAMLError) as exc:
        raise VerdictError([f"{path.name}: cannot be read: {exc}"]) from None
    out = []
    for where, row in rows:
        verdict = _cell(row, "verdict").lower()
        if not verdict:
            continue
        out.append(
            Verdict(
                where=where,
                language=_cell(row, "language") or (language or ""),
                msgid=_cell(row, "id"),
                verdict=verdict,
                text=_cell(row, "text"),
                comment=str(row.get("comment") or "").strip(),
                current=str(row["current"]) if row.get("current") not in (None, "") else None,
            )
        )
    return out


def check_verdicts(verdicts: list[Verdict], catalogs: Mapping[str, Catalog], reviewer: str) -> list[str]:
    """Every problem, each naming its row; empty when the whole file can be applied."""
    problems = [f"reviewer: {p}" for p in _name_problems(reviewer)]
    french = by_key(catalogs[SOURCE_LANGUAGE]) if SOURCE_LANGUAGE in catalogs else {}
    seen: set[tuple[str, str]] = set()
    for v in verdicts:
        problems.extend(f"{v.where}: {p}" for p in _problems(v, catalogs, french, seen))
    return problems


def apply_verdicts(
    verdicts: list[Verdict],
    catalogs: Mapping[str, Catalog],
    reviewer: str,
    when: datetime,
    source_name: str,
) -> dict[str, Applied]:
    """Write checked verdicts into the catalogs (in memory); the caller saves them."""
    day = when.strftime("%Y-%m-%d")
    applied: dict[str, Applied] = {}
    for v in verdicts:
        catalog = catalogs[v.language]
        message = by_key(catalog)[v.msgid]
        done = applied.setdefault(v.language, Applied())
        if v.verdict == "approve":
            mark_reviewed(message)
            message.user_comments.append(f"Reviewed {day} by {reviewer}: approved.")
            done.approved.append(v.msgid)
        elif v.verdict == "correction":
            was = _shown(message)
            message.string = _forms(v.text, message)
            mark_reviewed(message)
            message.user_comments.append(f'Reviewed {day} by {reviewer}: corrected (was "{was}").')
            done.corrected.append(v.msgid)
        if v.comment:
            lines = [line.strip() for line in _clean(v.comment).splitlines() if line.strip()]
            message.user_comments.append(f"Comment {day} by {reviewer}: {lines[0]}")
            message.user_comments.extend(f"  {line}" for line in lines[1:])
            if v.verdict == "comment":
                done.commented.append(v.msgid)
    for language, done in applied.items():
        _record(catalogs[language], reviewer, when, source_name, done)
    return applied


def _problems(
    v: Verdict, catalogs: Mapping[str, Catalog], french: Mapping[str, Message], seen: set[tuple[str, str]]
) -> list[str]:
    if v.language not in CODES or v.language == SOURCE_LANGUAGE:
        others = ", ".join(c for c in CODES if c != SOURCE_LANGUAGE)
        return [f"language {v.language!r}: not one to review ({others}; French is the source)"]
    if v.language not in catalogs:
        return [f"language {v.language!r}: no catalog"]
    if v.verdict not in VERDICTS:
        return [f"verdict {v.verdict!r}: use {', '.join(VERDICTS)}"]
    message = by_key(catalogs[v.language]).get(v.msgid)
    if message is None:
        return [f"unknown message id {v.msgid!r} in the {v.language} catalog"]
    if (v.language, v.msgid) in seen:
        return [f"{v.msgid}: a second verdict for the same message"]
    seen.add((v.language, v.msgid))
    if v.verdict == "approve":
        if not is_translated(message):
            return [f"{v.msgid}: nothing to approve, the {v.language} text is missing (send a correction)"]
        if v.current is not None and unicodedata.normalize("NFC", v.current.strip()) != _shown(message):
            return [f"{v.msgid}: the text changed since the sheet was made; review it again"]
    if v.verdict == "comment" and not v.comment:
        return [f"{v.msgid}: a comment verdict needs a comment"]
    if v.comment and len(v.comment) > _MAX_COMMENT:
        return [f"{v.msgid}: comment longer than {_MAX_COMMENT} characters"]
    if v.verdict == "correction":
        return _text_problems(v, message, french.get(v.msgid), catalogs[v.language])
    return []


def _text_problems(v: Verdict, message: Message, source: Message | None, catalog: Catalog) -> list[str]:
    text = unicodedata.normalize("NFC", v.text)
    if not text:
        return [f"{v.msgid}: a correction needs the corrected text"]
    bad = sorted({c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")})
    if bad:
        return [f"{v.msgid}: control characters in the text ({', '.join(f'U+{ord(c):04X}' for c in bad)})"]
    forms = text.split(PLURAL_SEPARATOR) if isinstance(message.id, tuple) else [text]
    if isinstance(message.id, tuple) and len(forms) != catalog.num_plurals:
        return [
            f"{v.msgid}: {catalog.num_plurals} plural form(s) expected, separated by "
            f"{PLURAL_SEPARATOR.strip()!r}; got {len(forms)}"
        ]
    problems = []
    expected = _placeholders(source) if source is not None else None
    for form in forms:
        found = placeholders(form)
        if expected is not None and found != expected:
            problems.append(
                f"{v.msgid}: placeholders {_names(found)} in the correction, the French has {_names(expected)}"
                " (keep each {name} exactly, no other braces)"
            )
        unspellable = sorted({c for c in form if c != "?" and "?" in to_gsm7(c, v.language)})
        if unspellable:
            problems.append(f"{v.msgid}: characters no phone can show: {' '.join(unspellable)}")
    return problems


def _placeholders(message: Message) -> set[str]:
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return set().union(*(placeholders(form or "") for form in forms))


def _names(found: set[str]) -> str:
    return "{" + ", ".join(sorted(found)) + "}" if found else "none"


def _name_problems(reviewer: str) -> list[str]:
    if not reviewer.strip():
        return ["a name is needed (--reviewer)"]
    if len(reviewer) > _MAX_NAME or any(unicodedata.category(c).startswith("C") for c in reviewer):
        return [f"a name of at most {_MAX_NAME} characters, on one line"]
    return []


def _forms(text: str, message: Message) -> str | tuple[str, ...]:
    text = unicodedata.normalize("NFC", text)
    return tuple(text.split(PLURAL_SEPARATOR)) if isinstance(message.id, tuple) else text


def _shown(message: Message) -> str:
    if isinstance(message.string, tuple | list):
        return PLURAL_SEPARATOR.join(str(s) for s in message.string)
    return str(message.string or "")


def _clean(text: str) -> str:
    # A comment becomes `# ` lines of the .po file: no other control character may reach it.
    return "".join(c if c == "\n" or not unicodedata.category(c).startswith("C") else " " for c in text)


def _record(catalog: Catalog, reviewer: str, when: datetime, source_name: str, done: Applied) -> None:
    stamp = when.strftime("%Y-%m-%d %H:%M%z")
    if isinstance(catalog, ProjectCatalog):
        catalog.set_header("PO-Revision-Date", stamp)
        if done.corrected:
            catalog.set_header("Last-Translator", reviewer)
    summary = (
        f"# Review {when.strftime('%Y-%m-%d')} by {reviewer} ({_clean(source_name)}): "
        f"{len(done.approved)} approved, {len(done.corrected)} corrected, {len(done.commented)} commented."
    )
    catalog.header_comment = "\n".join(filter(None, [catalog.header_comment, summary]))


def _cell(row: Mapping[str, Any], name: str) -> str:
    return str(row.get(name) or "").strip()


def _csv_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    # utf-8-sig: a sheet saved by a spreadsheet program starts with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"id", "verdict"} - set(reader.fieldnames or [])
        if missing:
            raise VerdictError([f"{path.name}: missing column(s) {', '.join(sorted(missing))}"])
        return [(f"{path.name} line {reader.line_num}", dict(row)) for row in reader]


def _yaml_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    language = None
    if isinstance(raw, dict):
        language, raw = raw.get("language"), raw.get("verdicts")
    if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
        raise VerdictError([f"{path.name}: expected a list of verdicts (id, verdict, text, comment)"])
    return [
        (f"{path.name} verdict {i}", {"language": language, **row} if language else dict(row))
        for i, row in enumerate(raw, 1)
    ]
