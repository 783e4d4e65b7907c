"""A reviewer's verdict file: read, checked row by row, applied with who and when."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.i18n.catalogs import ProjectCatalog, by_key, po_bytes, po_path, read_catalog
from gateway.i18n.verdicts import VerdictError, apply_verdicts, check_verdicts, read_verdicts
from tests.i18n.po_files import write_po

WHEN = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
FRENCH = (
    'msgid "home"\nmsgstr "Menu"\n\nmsgid "ref"\nmsgstr "Référence {reference}."\n\n'
    'msgid "empty"\nmsgstr "Vide"\n\n'
    'msgid "count"\nmsgid_plural "count"\nmsgstr[0] "{n} signalement"\nmsgstr[1] "{n} signalements"\n'
)
MOORE = (
    '#, fuzzy\nmsgid "home"\nmsgstr "Menu"\n\n#, draft\nmsgid "ref"\nmsgstr "Kibare {reference}."\n\n'
    'msgid "empty"\nmsgstr ""\n\n'
    '#, fuzzy\nmsgid "count"\nmsgid_plural "count"\nmsgstr[0] "kibare {n}"\nmsgstr[1] "kibay {n}"\n'
)


@pytest.fixture
def catalogs(tmp_path: Path) -> dict[str, ProjectCatalog]:
    write_po(tmp_path, "fr", FRENCH)
    write_po(tmp_path, "mos", MOORE)
    return {code: read_catalog(po_path(tmp_path, code)) for code in ("fr", "mos")}


def _csv(tmp_path: Path, rows: str, header: str = "language,id,verdict,text,comment") -> Path:
    path = tmp_path / "verdicts.csv"
    path.write_text(header + "\n" + rows, encoding="utf-8")
    return path


def test_approve_correct_and_comment_with_who_and_when(
    tmp_path: Path, catalogs: dict[str, ProjectCatalog]
) -> None:
    path = _csv(
        tmp_path,
        "mos,home,approve,,\n"
        'mos,ref,correction,"Kibar-sebre {reference}.",Shorter word\n'
        'mos,empty,comment,,"No word for this yet;\nask in Ouahigouya"\n'
        'mos,count,correction,"kibare {n} | kibay {n} rãmba",\n',
    )
    verdicts = read_verdicts(path)
    assert check_verdicts(verdicts, catalogs, "Awa Ouédraogo") == []
    applied = apply_verdicts(verdicts, catalogs, "Awa Ouédraogo", WHEN, path.name)
    messages = by_key(catalogs["mos"])
    assert not messages["home"].fuzzy
    assert messages["home"].user_comments[-1] == "Reviewed 2026-12-03 by Awa Ouédraogo: approved."
    assert messages["ref"].string == "Kibar-sebre {reference}."
    assert "draft" not in messages["ref"].flags
    assert 'corrected (was "Kibare {reference}.")' in messages["ref"].user_comments[-2]
    assert messages["ref"].user_comments[-1] == "Comment 2026-12-03 by Awa Ouédraogo: Shorter word"
    # A comment on two lines stays two comment lines: nothing else can reach the .po file.
    assert messages["empty"].user_comments[-2:] == [
        "Comment 2026-12-03 by Awa Ouédraogo: No word for this yet;",
        "  ask in Ouahigouya",
    ]
    assert messages["count"].string == ("kibare {n}", "kibay {n} rãmba")
    assert (applied["mos"].approved, applied["mos"].corrected, applied["mos"].commented) == (
        ["home"],
        ["ref", "count"],
        ["empty"],
    )
    assert catalogs["mos"].header("PO-Revision-Date") == "2026-12-03 09:30+0000"
    assert catalogs["mos"].header("Last-Translator") == "Awa Ouédraogo"
    text = po_bytes(catalogs["mos"]).decode()
    assert (
        "# Review 2026-12-03 by Awa Ouédraogo (verdicts.csv): 1 approved, 2 corrected, 1 commented." in text
    )
    assert '"X-Review-Status: draft - test\\n"' in text


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("mos,nope,approve,,", "unknown message id 'nope'"),
        (
            "mos,ref,correction,Kibare {ref}.,",
            "placeholders {ref} in the correction, the French has {reference}",
        ),
        ("mos,ref,correction,Kibare.,", "placeholders none in the correction"),
        ("mos,ref,correction,Kibare {reference,", "placeholders {<malformed>}"),
        ("mos,ref,correction,,", "needs the corrected text"),
        ('mos,ref,correction,"Kibare\u200b {reference}",', "control characters"),
        ("mos,ref,correction,Kibare {reference} 漢,", "characters no phone can show: 漢"),
        ("mos,count,correction,kibare {n},", "2 plural form(s) expected"),
        ("mos,empty,approve,,", "nothing to approve"),
        ("mos,home,comment,,", "needs a comment"),
        ("mos,home,maybe,,", "verdict 'maybe'"),
        ("fr,home,approve,,", "French is the source"),
        ("xx,home,approve,,", "language 'xx'"),
        ("mos,home,approve,,\nmos,home,approve,,", "a second verdict"),
    ],
)
def test_bad_rows_are_refused_with_their_line(
    tmp_path: Path, catalogs: dict[str, ProjectCatalog], row: str, problem: str
) -> None:
    verdicts = read_verdicts(_csv(tmp_path, row + "\n"))
    problems = check_verdicts(verdicts, catalogs, "Awa")
    assert any(problem in p and "verdicts.csv line" in p for p in problems), problems


def test_approving_a_text_changed_since_the_sheet_is_refused(
    tmp_path: Path, catalogs: dict[str, ProjectCatalog]
) -> None:
    header = "language,id,verdict,text,comment,current"
    ok = read_verdicts(_csv(tmp_path, "mos,home,approve,,,Menu\n", header))
    assert check_verdicts(ok, catalogs, "Awa") == []
    stale = read_verdicts(_csv(tmp_path, "mos,home,approve,,,Menu fɔlɔ\n", header))
    assert "changed since the sheet was made" in check_verdicts(stale, catalogs, "Awa")[0]


@pytest.mark.parametrize("name", ["", "  ", "Awa\nOuédraogo", "A" * 81, "Awa\x1b[31m"])
def test_a_reviewer_name_on_one_short_line(catalogs: dict[str, ProjectCatalog], name: str) -> None:
    assert check_verdicts([], catalogs, name)[0].startswith("reviewer:")


def test_rows_without_a_verdict_are_skipped_and_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text(
        "\ufefflanguage,id,verdict,text,comment\nmos,home,,,\nmos,ref,APPROVE,,\n", encoding="utf-8"
    )
    assert [(v.msgid, v.verdict) for v in read_verdicts(path)] == [("ref", "approve")]


def test_yaml_verdicts_with_the_language_once(tmp_path: Path, catalogs: dict[str, ProjectCatalog]) -> None:
    path = tmp_path / "verdicts.yaml"
    path.write_text(
        "language: mos\nverdicts:\n  - {id: home, verdict: approve}\n"
        "  - {id: ref, verdict: correction, text: 'Kibar {reference}.'}\n",
        encoding="utf-8",
    )
    verdicts = read_verdicts(path)
    assert [(v.language, v.msgid) for v in verdicts] == [("mos", "home"), ("mos", "ref")]
    assert check_verdicts(verdicts, catalogs, "Awa") == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("v.csv", "name,value\nx,y\n"),
        ("v.yaml", "just: a mapping\n"),
        ("v.yaml", ": : :\n"),
        ("v.csv", b"\xff\xfe\x00"),
    ],
)
def test_unreadable_files_are_refused(tmp_path: Path, name: str, content: str | bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(VerdictError):
        read_verdicts(path)
