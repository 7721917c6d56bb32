"""Completing answers from the sentences they cite: the fact finders on their own, and the
generative writer with a scripted model over the real seed index, e5 and checker (the real
local LLM is exercised in test_llm.py)."""

from __future__ import annotations

from rag.checker import SupportChecker
from rag.complete import _unquoted, extra_items, gaps, list_items
from rag.generate import GenerativeGenerator, passages_for
from rag.service import RagService
from rag.text import Stemmer
from rag.translate import Translator
from tests.helpers import CHIP_SENTENCE, ScriptedChat

VISIT = "Pertemuan itu diadakan selama kunjungan tiga hari Presiden Jinping ke Moskow."
MODEL = (
    "Kedua presiden sepakat untuk membentuk model kerja sama baru di industri seperti "
    "kecerdasan buatan, internet of things, 5G, ekonomi digital, dan sejenisnya."
)
MODEL_EN = (
    "Both presidents agreed to form a new model of cooperation in industries such as "
    "artificial intelligence, the Internet of Things, 5G, the digital economy and the like."
)


def test_list_items_are_the_short_parts_a_sentence_ends_with() -> None:
    assert list_items(MODEL) == [
        ["kecerdasan", "buatan"], ["internet", "things"], ["5g"], ["ekonomi", "digital"],
    ]  # fmt: skip
    assert list_items(CHIP_SENTENCE) == [
        ["membuat", "chip", "14nm"], ["dram", "18nm"], ["flash", "nand", "3d", "128", "lapis"],
    ]  # fmt: skip
    # the first item ends a clause: its last words
    fields = "They want to lead in information technology, cybersecurity and AI."
    assert list_items(fields) == [["information", "technology"], ["cybersecurity"], ["ai"]]
    assert list_items(VISIT) == []  # no list
    area = "Its area is 783,562 square kilometers, of which 23,764 are in Europe."
    assert list_items(area) == []  # thousands, not items
    said = "“Kami unggul di AI, 5G, dan chip,” kata dia, Senin."
    assert list_items(said)[1:] == [["5g"], ["chip"]]  # the quotation ends the list
    assert list_items("Russia and China signed it, Xi said.") == []  # two parts are no list


def test_gaps_are_the_facts_of_the_source_the_question_asks_for() -> None:
    question = "Berapa lama Xi Jinping berkunjung ke Rusia, dan di kota mana ia bertemu Putin?"
    assert gaps(question, VISIT, "Xi Jinping berkunjung ke Rusia selama tiga hari.") == ["moskow"]
    assert gaps(question, VISIT, "Ia tiga hari di Moskow.") == []  # "Presiden" is a title
    assert gaps(question, VISIT, "Ia di Moskow.") == ["3"]  # how long: the number
    assert gaps("Berapa lama kunjungan Xi?", VISIT, "Tiga hari.") == []  # Moskow is not asked
    # a name of another clause of the cited sentence is not what was asked
    source = "Xi tiba di Moskow, kata juru bicara dari Beijing, Wang Wenbin, kepada wartawan."
    assert gaps("Di mana Xi tiba?", source, "Xi tiba di Moskow.") == []
    # "Chinese President Xi Jinping" is one name, said by "Xi Jinping"
    met = "Russian President Vladimir Putin met with Chinese President Xi Jinping on Monday."
    assert gaps("Who did Putin meet?", met, "Putin met President Xi Jinping.") == []
    # an item of a list the answer gives part of
    answer = "Mereka sepakat bekerja sama di bidang internet of things, 5G dan ekonomi digital."
    assert gaps("Bidang apa saja?", MODEL, answer) == ["kecerdasan buatan"]
    assert gaps("Bidang apa saja?", MODEL, "Mereka sepakat bekerja sama.") == []  # no part
    chip = "China hanya dapat membuat chip 14nm dan DRAM 18nm."
    assert gaps("Apa batasan chip China?", CHIP_SENTENCE, chip) == ["flash nand 3d 128 lapis"]


def test_every_word_of_a_short_sentence_is_the_answer() -> None:
    key = "\u201cPenguasaan teknologi adalah kunci keberlanjutan."
    question = "Apa yang menjadi kunci keberlanjutan?"
    assert gaps(question, key, "Kunci keberlanjutan adalah teknologi.") == ["penguasaan"]
    said = "Kuncinya adalah menguasai teknologi."  # the same words, stemmed
    assert gaps(question, key, said, stem=Stemmer()) == []
    assert gaps(question, key, said, cross=True) == []  # across languages words do not tell
    assert "kunjungan" not in gaps("Berapa lama?", VISIT, "Tiga hari.")  # a longer sentence


def test_across_languages_only_what_shows_is_a_gap() -> None:
    question = "Which sectors does the partnership cover?"
    # "Internet of Things" and "5G" show in any language; "kecerdasan buatan" does not
    said = "It covers fields such as manufacturing, the Internet of Things, 5G and AI."
    assert gaps(question, MODEL, said, cross=True) == ["kecerdasan buatan", "ekonomi digital"]
    visit = "Xi Jinping's trip lasted three days and took him to Moscow."
    assert gaps("How long was Xi's trip?", VISIT, visit, cross=True) == []  # Moskow ~ Moscow
    assert extra_items(said, MODEL_EN) == ["manufacturing", "ai"]
    assert extra_items(MODEL_EN, MODEL_EN) == []


def _writer(seed_service: RagService, llm: ScriptedChat) -> GenerativeGenerator:
    checker = SupportChecker(seed_service.embeddings, seed_service.settings.support_threshold)
    return GenerativeGenerator(
        llm, seed_service.extractive, checker, Translator(llm, checker, "fake")
    )


def _number(seed_service: RagService, question: str, quote: str) -> int:
    """The number of the prompt's passage that holds `quote`."""
    ranked = seed_service.extractive.evidence(question, seed_service.retriever.invoke(question))
    return next(p.n for p in passages_for(ranked.ranked, 4) if quote in p.quote)


def test_an_answer_that_drops_a_name_gets_the_cited_sentence(seed_service: RagService) -> None:
    question = "Berapa lama Xi Jinping berkunjung ke Rusia, dan di kota mana ia bertemu Putin?"
    n = _number(seed_service, question, VISIT)
    draft = f"Xi Jinping berkunjung ke Rusia selama tiga hari [{n}]."
    gen = _writer(seed_service, ScriptedChat(draft=draft))
    answer = gen.stream(question, seed_service.retriever.invoke(question)).answer
    assert answer.mode == "generative"
    assert answer.answer == f"Xi Jinping berkunjung ke Rusia selama tiga hari. [1] {VISIT} [1]"
    assert [c.quote for c in answer.citations] == [VISIT]
    assert "rewritten: the cited sentence added for moskow" in answer.notes


def test_a_list_with_an_item_of_its_own_is_replaced_by_the_translated_source(
    seed_service: RagService,
) -> None:
    question = "Which sectors does the new Russia-China partnership model cover?"
    n = _number(seed_service, question, MODEL)
    draft = (
        "The new model covers industries such as manufacturing, the Internet of Things, 5G "
        f"and the digital economy [{n}]."
    )
    gen = _writer(seed_service, ScriptedChat(draft=draft, known={MODEL: MODEL_EN}))
    answer = gen.stream(question, seed_service.retriever.invoke(question)).answer
    assert answer.mode == "generative"
    assert answer.answer == f"{MODEL_EN} [1]"  # "manufacturing" is gone
    assert "rewritten: the cited sentence instead of manufacturing" in answer.notes
    (cited,) = answer.citations
    assert cited.quote == MODEL and cited.translation == MODEL_EN
    # without a checked translation the checked draft stays as it is (nothing to add)
    gen = _writer(seed_service, ScriptedChat(draft=draft))
    answer = gen.stream(question, seed_service.retriever.invoke(question)).answer
    assert "manufacturing" in answer.answer and "artificial" not in answer.answer


def test_a_quoted_sentence_joins_the_answer_without_unmatched_quotation_marks() -> None:
    assert (
        _unquoted("\u201cPenguasaan teknologi adalah kunci.")
        == "Penguasaan teknologi adalah kunci."
    )
    assert _unquoted("Kecerdasan buatan.\u201d") == "Kecerdasan buatan."
    said = "Ia berkata \u201cya\u201d tadi."
    assert _unquoted(said) == said  # matched marks stay
