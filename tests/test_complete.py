"""Completing answers from the sentences they cite: the fact finders on their own, and the
generative writer with a scripted model over the real seed index, e5 and checker (the real
local LLM is exercised in test_llm.py)."""

from __future__ import annotations

from rag.checker import SupportChecker
from rag.complete import Completer, _unquoted, extra_items, gaps
from rag.generate import GenerativeGenerator, passages_for
from rag.service import RagService
from rag.text import Stemmer
from rag.translate import Translator
from rag.verify import Checked, _span
from tests.helpers import CHIP_SENTENCE, LEAD, LEAD_EN, MODEL, VISIT, ScriptedChat

MODEL_EN = (
    "Both presidents agreed to form a new model of cooperation in industries such as "
    "artificial intelligence, the Internet of Things, 5G, the digital economy and the like."
)


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
    ev = seed_service.extractive.evidence(question, seed_service.retriever.invoke(question))
    passages = passages_for(ev.ranked, 4, ev.pool[0] if ev.pool else None)
    return next(p.n for p in passages if quote in p.quote)


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


def test_a_garbled_list_citing_two_passages_is_replaced_by_the_list_it_garbles(
    seed_service: RagService,
) -> None:
    question = "Which three fields did the two leaders say they wanted to get good at?"  # gold-002
    ev = seed_service.extractive.evidence(question, seed_service.retriever.invoke(question))
    passages = passages_for(ev.ranked, 4, ev.pool[0])
    # as the checker narrows them: each to the sentence that supports the answer
    lead = next(_span(p, 0, len(LEAD)) for p in passages if p.quote.startswith(LEAD))
    model = next(p for p in passages if p.quote == MODEL)
    # the 1.5B's answer, kept by the checker: three items, as the lead's list (the other
    # passage lists four)
    said = "The two leaders said they wanted to get good at three fields: technology, security, "
    said += "and artificial intelligence."
    checker = SupportChecker(seed_service.embeddings, seed_service.settings.support_threshold)
    llm = ScriptedChat(draft="", known={LEAD: LEAD_EN})
    completer = Completer(Translator(llm, checker, "fake"))
    done = completer.complete(question, Checked([(said, [lead, model])]), "en")
    ((sentence, cited),) = done.checked.kept
    assert sentence == LEAD_EN and done.replaced == ["security"]
    assert [(c.quote, c.translation) for c in cited] == [(LEAD, LEAD_EN)]
    # with one item less than the cited list, the answer is not taken for it
    short = "They want to get good at technology, security and AI, and more."
    done = completer.complete(question, Checked([(short, [model])]), "en")
    assert done.replaced == []


TITLED = (
    "Kerja sama ini tertuang dalam dokumen berjudul \u2018Pernyataan Bersama antara Republik "
    "Rakyat Tiongkok dan Federasi Rusia tentang Pendalaman Koordinasi Kemitraan Strategis "
    "Komprehensif di Era Baru.\u2019"
)
TITLED_EN = (
    "This cooperation is set out in the document titled 'Joint Statement between the People's "
    "Republic of China and the Russian Federation on Deepening the Comprehensive Strategic "
    "Partnership of Coordination in the New Era.'"
)


def test_a_title_question_asks_for_every_word_of_the_quoted_title() -> None:
    question = "What is the official title of the joint statement the two countries signed?"
    said = (  # the 1.5B's answer (gold-007): the partnership is gone
        "The official title is 'Joint Statement between the People's Republic of China and the "
        "Russian Federation on Comprehensive Strategic Coordination in the Era of New Era.'"
    )
    assert gaps(question, TITLED_EN, said) == ["deepening partnership"]
    assert gaps(question, TITLED_EN, TITLED_EN) == []
    # across languages the whole title is a possible gap, to be compared in translation
    (title,) = gaps(question, TITLED, said, cross=True)
    assert title.startswith("Pernyataan Bersama") and title.endswith("Era Baru.")
    assert gaps("Why was the joint statement signed?", TITLED_EN, said) == []  # no title asked


def test_a_quoted_sentence_joins_the_answer_without_unmatched_quotation_marks() -> None:
    assert (
        _unquoted("\u201cPenguasaan teknologi adalah kunci.")
        == "Penguasaan teknologi adalah kunci."
    )
    assert _unquoted("Kecerdasan buatan.\u201d") == "Kecerdasan buatan."
    said = "Ia berkata \u201cya\u201d tadi."
    assert _unquoted(said) == said  # matched marks stay
