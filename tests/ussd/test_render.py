from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.i18n.text import fill, measure
from gateway.ussd.render import Footer, compose_page, paginate
from gateway.ussd.service import next_input

FOOTER = Footer("Suite", "Retour", "Menu")
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèɛɔ -'", min_size=1, max_size=30)


@given(options=st.lists(names, min_size=1, max_size=98), back=st.booleans(), home=st.booleans())
def test_pages_cover_every_option_once_and_fit(options: list[str], back: bool, home: bool) -> None:
    lines = [f"{i}. {name}" for i, name in enumerate(options, 1)]
    head = "Commune:"
    pages = paginate(head, lines, FOOTER, "bm", 160, back=back, home=home)
    covered = [i for start, end in pages for i in range(start, end)]
    assert covered == list(range(len(lines)))
    for page in pages:
        assert measure(compose_page(head, lines, page, FOOTER, back=back, home=home), "bm") <= 160


def test_later_pages_offer_back_and_earlier_pages_more() -> None:
    lines = [f"{i}. Commune numero {i}" for i in range(1, 30)]
    pages = paginate("Commune:", lines, FOOTER, "fr", 160, back=False, home=True)
    assert len(pages) > 1
    first = compose_page("Commune:", lines, pages[0], FOOTER, back=False, home=True)
    second = compose_page("Commune:", lines, pages[1], FOOTER, back=False, home=True)
    assert "99 Suite" in first
    assert "0 Retour" not in first
    assert "0 Retour" in second


def test_fill_survives_a_translators_stray_brace() -> None:
    assert fill("Ref {reference}", {"reference": "R-7K3F"}) == "Ref R-7K3F"
    assert fill("Ref {missing}", {}) == "Ref -"
    assert fill("Ref {reference", {"reference": "R"}) == "Ref {reference"


def test_next_input_reads_free_text_with_stars() -> None:
    assert next_input("", "1") == "1"
    assert next_input("1*2", "1*2*3") == "3"
    assert next_input("1*2*3", "1*2*3*a*b*c") == "a*b*c"
    assert next_input("1*2*3", "1*2*3*") == ""
    assert next_input("1*2", "9*9*4") == "4"  # a provider that resets the path
