"""Catalogs for languages CLDR lacks (dyu, mos): plural headers kept, fallback message by message."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from gateway.config import ROOT
from gateway.i18n.catalogs import Catalogs, compile_catalog, po_path
from gateway.i18n.languages import CODES, chain

PO_HEADER = """msgid ""
msgstr ""
"Language: {lang}\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: {plural}\\n"

"""


def _write(root: Path, lang: str, plural: str, entries: str) -> None:
    path = po_path(root, lang)
    path.parent.mkdir(parents=True)
    path.write_text(PO_HEADER.format(lang=lang, plural=plural) + entries, encoding="utf-8")


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    _write(
        tmp_path,
        "fr",
        "nplurals=2; plural=(n > 1);",
        'msgid "yes"\nmsgstr "Oui"\n\nmsgid "back"\nmsgstr "Retour"\n\nmsgid "home"\nmsgstr "Menu"\n\n'
        'msgid "n.alerts"\nmsgid_plural "n.alerts"\nmsgstr[0] "{n} alerte"\nmsgstr[1] "{n} alertes"\n',
    )
    _write(
        tmp_path, "bm", "nplurals=1; plural=0;", 'msgid "yes"\nmsgstr "Awɔ"\n\nmsgid "back"\nmsgstr "Segin"\n'
    )
    _write(
        tmp_path,
        "dyu",
        "nplurals=1; plural=0;",
        'msgid "yes"\nmsgstr "Awɔ (dyu)"\n\nmsgid "back"\nmsgstr ""\n\n'
        'msgid "n.alerts"\nmsgid_plural "n.alerts"\nmsgstr[0] "kibaru {n}"\n',
    )
    _write(
        tmp_path,
        "mos",
        "nplurals=2; plural=(n != 1);",
        'msgid "yes"\nmsgstr "N-ye"\n\nmsgid "n.alerts"\nmsgid_plural "n.alerts"\nmsgstr[0] "{n} m"\nmsgstr[1] "{n} ms"\n',
    )
    return tmp_path


def test_chains() -> None:
    assert chain("dyu") == ("dyu", "bm", "fr")
    assert chain("mos") == ("mos", "fr")
    assert chain("bm") == ("bm", "fr")
    assert chain("fr") == ("fr",)


def test_fallback_message_by_message(locales: Path) -> None:
    catalogs = Catalogs(locales)
    dyu = catalogs.translator("dyu")
    assert dyu.gettext("yes") == "Awɔ (dyu)"
    assert dyu.gettext("back") == "Segin"  # empty in dyu: Bambara
    assert dyu.gettext("home") == "Menu"  # in neither: French
    assert catalogs.translator("mos").gettext("back") == "Retour"  # Mooré falls back to French, not Bambara
    assert dyu.gettext("never.defined") == "never.defined"
    assert "never.defined" in dyu.missing


def test_plural_forms_kept_for_languages_cldr_lacks(locales: Path) -> None:
    catalogs = Catalogs(locales)
    # Babel drops Plural-Forms for unknown locales when compiling; gettext would then use
    # English rules and answer msgstr[1], which dyu does not have.
    assert catalogs.translator("dyu").ngettext("n.alerts", "n.alerts", 3) == "kibaru {n}"
    assert catalogs.translator("dyu").ngettext("n.alerts", "n.alerts", 1) == "kibaru {n}"
    assert catalogs.translator("mos").ngettext("n.alerts", "n.alerts", 1) == "{n} m"
    assert catalogs.translator("mos").ngettext("n.alerts", "n.alerts", 0) == "{n} ms"
    assert catalogs.translator("fr").ngettext("n.alerts", "n.alerts", 0) == "{n} alerte"
    assert catalogs.translator("fr").ngettext("n.alerts", "n.alerts", 2) == "{n} alertes"
    assert (
        catalogs.translator("bm").ngettext("n.alerts", "n.alerts", 5) == "{n} alertes"
    )  # bm lacks it: French


def test_compiled_header_carries_plural_forms(locales: Path) -> None:
    with po_path(locales, "dyu").open("rb") as handle:
        catalog = read_po(handle)
    assert catalog.locale is None  # CLDR does not know dyu
    compiled = compile_catalog(catalog)
    assert compiled.info()["plural-forms"] == "nplurals=1; plural=0;"


def test_project_catalogs_cover_every_flow_message() -> None:
    from gateway.ussd.flows import load_flows
    from gateway.ussd.runtime import ACTIONS, SOURCES

    catalogs = Catalogs(ROOT / "locales")
    flows = load_flows(ROOT / "flows", ACTIONS, SOURCES)
    french = catalogs.catalogs["fr"]
    for msgid in flows.message_ids():
        assert french.get(msgid) is not None, msgid
    for code in CODES:
        assert code in catalogs.catalogs, f"no catalog for {code}"


def test_template_is_current_and_every_catalog_has_its_ids() -> None:
    from gateway.i18n.catalogs import read_catalog
    from gateway.i18n.messages import build_template
    from gateway.message_ids import CODE_MESSAGES
    from gateway.ussd.flows import load_flows
    from gateway.ussd.runtime import ACTIONS, SOURCES

    flows = load_flows(ROOT / "flows", ACTIONS, SOURCES)
    french = read_catalog(po_path(ROOT / "locales", "fr"))
    wanted = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in build_template(flows.message_ids() | set(CODE_MESSAGES), french)
        if m.id
    }
    with (ROOT / "locales" / "messages.pot").open("rb") as handle:
        pot = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert pot == wanted, "run `gateway i18n extract`"
    for code in CODES:
        catalog = read_catalog(po_path(ROOT / "locales", code))
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        assert ids == wanted, code


def test_an_untranslated_plural_falls_back_instead_of_showing_its_id(locales: Path) -> None:
    path = po_path(locales, "bm")
    path.write_text(
        path.read_text(encoding="utf-8") + '\nmsgid "n.alerts"\nmsgid_plural "n.alerts"\nmsgstr[0] ""\n',
        encoding="utf-8",
    )
    assert Catalogs(locales).translator("bm").ngettext("n.alerts", "n.alerts", 4) == "{n} alertes"
