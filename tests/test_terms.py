from __future__ import annotations

from rag.terms import TERMS, hint, lost_terms, says, terms_in
from tests.helpers import LEAD, LEAD_EN


def test_terms_are_found_longest_first_each_once() -> None:
    assert terms_in(LEAD) == ["teknologi informasi", "keamanan dunia maya", "kecerdasan buatan"]
    assert terms_in("Dunia maya, dunia maya, dan Rumah Sakit.") == ["dunia maya", "rumah sakit"]
    assert terms_in("Rumahnya sakit.") == []  # whole words only


def test_a_translation_must_say_each_term_in_an_english_form() -> None:
    assert lost_terms(LEAD_EN, LEAD) == []
    wrong = LEAD_EN.replace("cybersecurity", "security of the world")  # the 1.5B's (gold-002)
    assert lost_terms(wrong, LEAD) == ["keamanan dunia maya"]
    assert says("The AI race.", "kecerdasan buatan")  # a listed short form
    assert not says("They said it.", "teknologi informasi")  # "it" reads as a pronoun: no form
    assert all(forms and all(f == f.lower() for f in forms) for forms in TERMS.values())


def test_the_hint_gives_each_term_its_first_english_form() -> None:
    assert (
        hint(["dunia maya", "suku bunga"])
        == "'dunia maya' is 'cyberspace', 'suku bunga' is 'interest rate'"
    )
    assert hint([]) == ""
