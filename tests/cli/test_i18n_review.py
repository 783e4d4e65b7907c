"""`gateway i18n update | sheet | review-import` on a copy of the project's catalogs."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from gateway.config import ROOT
from gateway.i18n.catalogs import Catalogs, by_key, iter_messages, key_of, po_path, read_catalog
from gateway.i18n.flags import is_unreviewed
from gateway.i18n.languages import CODES
from tests.cli.runner import invoke


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    copy = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", copy)
    return copy


@pytest.fixture
def env(locales: Path) -> dict[str, str]:
    return {"GATEWAY_LOCALES_DIR": str(locales), "GATEWAY_LOG_LEVEL": "WARNING", "COLUMNS": "120"}


def _texts(locales: Path) -> dict[tuple[str, str], str]:
    catalogs = Catalogs(locales)
    ids = [key_of(m) for m in iter_messages(catalogs.catalogs["fr"])]
    return {(code, i): catalogs.translator(code).gettext(i) for code in CODES for i in ids}


def test_update_converts_drafts_and_callers_see_the_same_words(env: dict[str, str], locales: Path) -> None:
    before = _texts(locales)
    code, _out, err = invoke(env, "i18n", "update")
    assert code == 0, err
    text = po_path(locales, "bm").read_text("utf-8")
    assert "#, draft" not in text
    assert "#, fuzzy" in text
    assert "max-length:" in text
    assert "python-brace-format" in text
    after = _texts(locales)
    # The run-time loader shows fuzzy entries as it showed drafts (ids no flow uses any more
    # became obsolete; ids new to the template fall back as before).
    assert after == {key: before.get(key, after[key]) for key in after}
    code, _out, err = invoke(env, "i18n", "update", "--check")
    assert code == 0, err
    assert "unchanged" in err


def test_update_check_writes_nothing(env: dict[str, str], locales: Path) -> None:
    path = po_path(locales, "mos")
    path.write_text(path.read_text("utf-8").replace("#, fuzzy\n", "#, draft\n", 1) + "\n", "utf-8")
    before = path.read_bytes()
    code, _out, err = invoke(env, "i18n", "update", "--check")
    assert code == 1
    assert "not up to date" in err
    assert path.read_bytes() == before


def test_status_shows_reviewed_and_draft(env: dict[str, str]) -> None:
    code, out, _err = invoke(env, "i18n", "status")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:5] == ["lang", "translated", "reviewed", "draft", "missing"]
    assert [row.split()[0] for row in rows[:4]] == list(CODES)


def test_sheet_writes_html_csv_and_pdf(env: dict[str, str], tmp_path: Path) -> None:
    from gateway.i18n.sheet_pdf import FontError, find_fonts

    html, sheet, pdf = tmp_path / "mos.html", tmp_path / "mos.csv", tmp_path / "mos.pdf"
    try:
        find_fonts()
        args = ["--pdf", str(pdf)]
    except FontError:
        args = []
    code, _out, err = invoke(env, "i18n", "sheet", "mos", "--html", str(html), "--csv", str(sheet), *args)
    assert code == 0, err
    page = html.read_text("utf-8")
    assert "USSD main:home" in page
    assert "SMS sms.receipt" in page
    with sheet.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {"language", "id", "verdict", "text", "comment", "current"} <= set(rows[0])
    assert {r["language"] for r in rows} == {"mos"}
    if args:
        assert pdf.read_bytes().startswith(b"%PDF-")


def test_sheet_refuses_an_unknown_language(env: dict[str, str], tmp_path: Path) -> None:
    code, _out, err = invoke(env, "i18n", "sheet", "xx", "--html", str(tmp_path / "x.html"))
    assert code == 2
    assert "unknown language" in err


def _drafted(locales: Path, language: str) -> str:
    return next(
        key_of(m) for m in iter_messages(read_catalog(po_path(locales, language))) if is_unreviewed(m)
    )


def _verdicts(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "verdicts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["language", "id", "verdict", "text", "comment"])
        writer.writerows(rows)
    return path


def test_review_import_records_who_and_when(env: dict[str, str], locales: Path, tmp_path: Path) -> None:
    msgid = _drafted(locales, "bm")
    path = _verdicts(tmp_path, [["bm", msgid, "approve", "", "Good, everyday word"]])
    code, _out, err = invoke(env, "i18n", "review-import", str(path), "--reviewer", "Awa Traoré")
    assert code == 0, err
    catalog = read_catalog(po_path(locales, "bm"))
    message = by_key(catalog)[msgid]
    assert not is_unreviewed(message)
    assert any("by Awa Traoré: approved" in c for c in message.user_comments)
    assert any("Awa Traoré: Good, everyday word" in c for c in message.user_comments)
    assert catalog.header("PO-Revision-Date")
    assert "by Awa Traoré (verdicts.csv): 1 approved" in catalog.header_comment


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["bm", "no.such.id", "approve", "", ""], "unknown message id 'no.such.id'"),
        (["bm", "ussd.nav.back", "correction", "x" * 200, ""], "shorten by"),
        (["bm", "ussd.nav.back", "correction", "Segin {x}", ""], "placeholders {x}"),
    ],
)
def test_review_import_refuses_and_changes_nothing(
    env: dict[str, str], locales: Path, tmp_path: Path, row: list[str], problem: str
) -> None:
    good = ["bm", _drafted(locales, "bm"), "approve", "", ""]
    before = {code: po_path(locales, code).read_bytes() for code in CODES}
    code, _out, err = invoke(
        env, "i18n", "review-import", str(_verdicts(tmp_path, [good, row])), "--reviewer", "Awa"
    )
    assert code == 1
    assert problem in err
    assert "no catalog was changed" in err
    assert {code: po_path(locales, code).read_bytes() for code in CODES} == before


def test_review_import_dry_run_writes_nothing(env: dict[str, str], locales: Path, tmp_path: Path) -> None:
    before = po_path(locales, "bm").read_bytes()
    path = _verdicts(tmp_path, [["bm", _drafted(locales, "bm"), "approve", "", ""]])
    code, _out, err = invoke(env, "i18n", "review-import", str(path), "--reviewer", "Awa", "--dry-run")
    assert code == 0
    assert "would record 1 approved" in err
    assert po_path(locales, "bm").read_bytes() == before
