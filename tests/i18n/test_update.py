"""`gateway i18n update` on one catalog: what it adds, keeps, converts, flags and marks obsolete."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from gateway.i18n.catalogs import by_key, po_bytes, read_catalog, write_catalog
from gateway.i18n.messages import build_template
from gateway.i18n.update import update_catalog
from tests.i18n.po_files import write_po

FRENCH = (
    '#. Shown first.\nmsgid "hello"\nmsgstr "Bonjour"\n\n'
    'msgid "ref"\nmsgstr "Référence {reference}."\n\n'
    'msgid "new.one"\nmsgstr "Nouveau"\n\n'
    'msgid "count"\nmsgid_plural "count"\nmsgstr[0] "{n} signalement"\nmsgstr[1] "{n} signalements"\n'
)
LEGACY_HEADER = 'Every translated entry carries the flag "draft"; a reviewer removes it once checked.'
BAMBARA = (
    '# TODO(review): is this the usual greeting?\n#, draft\nmsgid "hello"\nmsgstr "I ni ce"\n\n'
    '#, draft\nmsgid "ref"\nmsgstr "Nimɔrɔ {reference}."\n\n'
    'msgid "gone"\nmsgstr "A tɛ yen tugun"\n\n'
    '#, draft\nmsgid "untranslated"\nmsgstr ""\n\n'
    '#, draft\nmsgid "count"\nmsgid_plural "count"\nmsgstr[0] "laseli {n}"\n'
)


def _template(root: Path, ids: set[str]) -> Catalog:
    return build_template(ids, read_catalog(root / "fr" / "LC_MESSAGES" / "messages.po"))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_po(tmp_path, "fr", FRENCH)
    write_po(tmp_path, "bm", BAMBARA, comment=LEGACY_HEADER)
    return tmp_path


def _update(root: Path, ids: set[str], **kwargs: object) -> tuple[Catalog, object, str]:
    path = root / "bm" / "LC_MESSAGES" / "messages.po"
    catalog = read_catalog(path)
    report = update_catalog(
        catalog,
        _template(root, ids),
        language="bm",
        limits={"hello": 40, "ref": 60},
        brace_format={"ref", "count"},
        **kwargs,  # type: ignore[arg-type]
    )
    write_catalog(path, catalog)
    return catalog, report, path.read_text("utf-8")


def test_new_ids_added_untranslated_translations_and_comments_kept(root: Path) -> None:
    catalog, report, text = _update(root, {"hello", "ref", "new.one", "count"})
    messages = by_key(catalog)
    assert report.added == ["new.one"]  # type: ignore[attr-defined]
    assert messages["new.one"].string == ""
    assert not messages["new.one"].flags
    assert messages["hello"].string == "I ni ce"
    assert "TODO(review): is this the usual greeting?" in messages["hello"].user_comments
    # The template's comments, the French included, replace the extracted ones.
    assert messages["hello"].auto_comments == ["Shown first.", "fr: Bonjour"]
    assert messages["count"].string == ("laseli {n}",)  # bm has one plural form


def test_legacy_draft_becomes_fuzzy_and_flags_are_declared(root: Path) -> None:
    _catalog, report, text = _update(root, {"hello", "ref", "count"})
    assert report.converted == ["hello", "ref", "count"]  # type: ignore[attr-defined]
    assert '#, fuzzy, max-length:40\nmsgid "hello"' in text
    assert '#, fuzzy, max-length:60, python-brace-format\nmsgid "ref"' in text
    assert '#, fuzzy, python-brace-format\nmsgid "count"' in text
    assert "#, draft" not in text
    assert 'flag "draft"' not in text
    assert 'flag "fuzzy"' in text.splitlines()[1]  # the header comment says what the flag means now


def test_obsolete_ids_kept_as_comments_or_dropped(root: Path) -> None:
    catalog, report, text = _update(root, {"hello", "ref", "count"})
    assert report.obsolete == ["gone", "untranslated"]  # type: ignore[attr-defined]
    assert '#~ msgid "gone"\n#~ msgstr "A tɛ yen tugun"' in text
    assert "gone" not in by_key(catalog)
    _catalog, _report, text = _update(root, {"hello", "ref", "count"}, keep_obsolete=False)
    assert "gone" not in text


def test_an_obsolete_id_that_returns_gets_its_translation_back_for_review(root: Path) -> None:
    _update(root, {"hello"})
    catalog, report, _text = _update(root, {"hello", "ref"})
    assert "ref" in report.revived  # type: ignore[attr-defined]
    assert by_key(catalog)["ref"].string == "Nimɔrɔ {reference}."
    assert by_key(catalog)["ref"].fuzzy


def test_a_changed_french_source_makes_a_reviewed_translation_fuzzy(root: Path) -> None:
    path = root / "bm" / "LC_MESSAGES" / "messages.po"
    _update(root, {"hello", "ref"})
    catalog = read_catalog(path)
    by_key(catalog)["hello"].flags.discard("fuzzy")  # a reviewer approved it
    write_catalog(path, catalog)
    french = root / "fr" / "LC_MESSAGES" / "messages.po"
    french.write_text(french.read_text("utf-8").replace("Bonjour", "Bonsoir"), "utf-8")
    catalog, report, _text = _update(root, {"hello", "ref"})
    assert report.source_changed == ["hello"]  # type: ignore[attr-defined]
    assert by_key(catalog)["hello"].fuzzy


def test_untranslated_entries_carry_no_review_flag(root: Path) -> None:
    catalog, _report, _text = _update(root, {"hello", "untranslated"})
    assert by_key(catalog)["untranslated"].flags == set()


def test_update_is_idempotent_and_keeps_the_header_lines(root: Path) -> None:
    _update(root, {"hello", "ref", "new.one", "count"})
    path = root / "bm" / "LC_MESSAGES" / "messages.po"
    first = path.read_bytes()
    catalog, report, _text = _update(root, {"hello", "ref", "new.one", "count"})
    assert po_bytes(catalog) == first
    assert not report.added
    assert not report.converted
    text = first.decode()
    # Babel alone would drop these two (unknown X- header; Plural-Forms of a locale CLDR lacks).
    assert '"X-Review-Status: draft - test\\n"' in text
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in text
    assert "FULL NAME" not in text  # and would add its placeholders


def test_unknown_locale_keeps_its_plural_header_through_update(tmp_path: Path) -> None:
    write_po(tmp_path, "fr", FRENCH)
    path = write_po(
        tmp_path, "mos", 'msgid "count"\nmsgid_plural "count"\nmsgstr[0] "a {n}"\nmsgstr[1] "b {n}"\n'
    )
    catalog = read_catalog(path)
    update_catalog(catalog, _template(tmp_path, {"count"}), language="mos", limits={}, brace_format=set())
    write_catalog(path, catalog)
    text = path.read_text("utf-8")
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in text
    assert 'msgstr[1] "b {n}"' in text
