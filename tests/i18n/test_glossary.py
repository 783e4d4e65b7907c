"""Glossary terms a message uses, read from the per-language tables of GLOSSARY.md."""

from __future__ import annotations

from pathlib import Path

from gateway.config import ROOT
from gateway.i18n.glossary import read_glossary, terms_for

GLOSSARY = """# Glossary

## How to review
| concept | chosen |
|---|---|
| not a language section | ignored |

## Bambara (bm)

| concept | chosen | where used | source | confidence |
|---|---|---|---|---|
| language | kan | language.prompt | CV | sourced |
| must not | kana | | UD | sourced (grammar) |
| checkpoint | sɛgɛsɛgɛyɔrɔ (sɛgɛsɛgɛ) | topic.checkpoint | none | inferred, not attested (Q6) |
| yes / no | Awɔ / Ayi | anonymous.no_sms | CV | sourced |

## Dioula / Jula (dyu)

| concept | chosen | source | confidence |
|---|---|---|---|
| yes | Ɔnhɔn | review | inferred |

### Terms

| concept | chosen | source | confidence |
|---|---|---|---|
| thanks | A ni ce | SIL | sourced |

# Appendix

| concept | chosen |
|---|---|
| not a language section either | ignored |
"""


def _glossary(tmp_path: Path) -> dict[str, list]:  # type: ignore[type-arg]
    path = tmp_path / "GLOSSARY.md"
    path.write_text(GLOSSARY, encoding="utf-8")
    return read_glossary(path)


def test_tables_are_read_per_language_section(tmp_path: Path) -> None:
    glossary = _glossary(tmp_path)
    assert sorted(glossary) == ["bm", "dyu"]
    assert [t.concept for t in glossary["bm"]] == ["language", "must not", "checkpoint", "yes / no"]


def test_a_short_word_matches_whole_and_a_long_one_with_suffixes(tmp_path: Path) -> None:
    glossary = _glossary(tmp_path)
    used = [t.concept for t in terms_for(glossary, "bm", "report.x", "SMS kana ci, sɛgɛsɛgɛyɔrɔw la")]
    assert used == ["must not", "checkpoint"]  # "kan" is not "kana"; sɛgɛsɛgɛyɔrɔ + plural w
    assert [t.concept for t in terms_for(glossary, "bm", "x", "An ka kan")] == ["language"]


def test_where_used_names_messages_of_the_tables_own_language(tmp_path: Path) -> None:
    glossary = _glossary(tmp_path)
    assert [t.concept for t in terms_for(glossary, "bm", "report.anonymous.no_sms", "A ci")] == ["yes / no"]
    # Jula reads the Bambara table for words, not for its "where used" column.
    dyu = terms_for(glossary, "dyu", "report.anonymous.no_sms", "Ɔnhɔn, SMS kana ci")
    assert [(t.language, t.concept) for t in dyu] == [("dyu", "yes"), ("bm", "must not")]
    assert dyu[1].label("dyu") == "kana = must not [sourced] (bm table)"


def test_the_project_glossary_is_readable() -> None:
    glossary = read_glossary(ROOT / "locales" / "GLOSSARY.md")
    assert {"bm", "mos"} <= set(glossary)
    assert read_glossary(ROOT / "no-such-file.md") == {}


def test_a_subsection_is_still_its_language_section(tmp_path: Path) -> None:
    dyu = _glossary(tmp_path)["dyu"]
    assert [(t.chosen, t.source) for t in dyu] == [("Ɔnhɔn", "review"), ("A ni ce", "SIL")]


def test_every_jula_and_moore_term_names_its_source() -> None:
    # Issue 14: a term of a national language with no source is a guess nobody can check.
    glossary = read_glossary(ROOT / "locales" / "GLOSSARY.md")
    for code in ("dyu", "mos"):
        assert len(glossary[code]) >= 30, code
        assert [t.chosen for t in glossary[code] if not t.source] == [], code
