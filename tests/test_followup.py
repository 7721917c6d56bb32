from __future__ import annotations

import pytest

from rag.followup import resolve, same_topic, standalone
from rag.schema import Answer, Citation
from rag.service import RagService

CHIP_Q = "what chip limits apply to China?"
HISTORY = [(CHIP_Q, "China can only make 14nm chips, 18nm DRAM and 128-layer 3D NAND [1].")]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what about DRAM?", "what chip limits apply to China? DRAM?"),
        ("bagaimana dengan DRAM?", "what chip limits apply to China? DRAM?"),
        (
            "and which companies stopped selling to Russia?",
            "Which companies stopped selling to Russia?",
        ),
        ("Who met Putin?", "Who met Putin?"),  # standalone: left alone
        (  # a pronoun: what the last answer said, in brackets
            "siapa yang dia temui?",
            "Siapa yang dia temui (China can only make 14nm chips, 18nm DRAM and 128-layer 3D "
            "NAND)?",
        ),
    ],
)
def test_follow_ups_become_standalone(question: str, expected: str) -> None:
    assert standalone(question, HISTORY) == expected


def test_no_history_and_the_topic_is_the_last_standalone_question() -> None:
    assert standalone("what about DRAM?", []) == "what about DRAM?"
    history = [*HISTORY, ("and NAND?", "...")]
    assert standalone("what about DRAM?", history) == "what chip limits apply to China? DRAM?"
    assert standalone("and NAND", [("Harga chip di Rusia", "...")]) == "Harga chip di Rusia? NAND"


def test_service_answers_a_follow_up_with_history(seed_service: RagService) -> None:
    alone = seed_service.answer("what about DRAM?")
    follow = seed_service.answer("what about DRAM?", HISTORY)
    assert follow.standalone_question == "what chip limits apply to China? DRAM?"
    assert follow.question == "what about DRAM?"
    assert not follow.abstained and "DRAM 18nm" in follow.answer
    assert alone.standalone_question is None


def test_a_pronoun_refers_to_what_the_last_answer_said() -> None:
    history = [("who met Putin?", "Vladimir Putin met Xi Jinping in Moscow. [1] He stayed.")]
    assert (
        standalone("when was this?", history)
        == "When was this (Vladimir Putin met Xi Jinping in Moscow)?"
    )
    assert (
        standalone("who said that?", history)
        == "Who said that (Vladimir Putin met Xi Jinping in Moscow)?"
    )
    # an abstained answer says nothing to refer to: the topic question carries the context
    assert standalone("when was this?", [("who met Putin?", "")]) == "who met Putin? When was this?"


@pytest.mark.parametrize(
    ("question", "asked_back"),
    [
        ("when was this?", True),
        ("who said that?", True),
        ("Kapan itu terjadi?", True),
        ("siapa yang mengatakannya?", True),
        ("and what about DRAM?", True),  # continues a conversation that is not there
        ("DRAM?", False),  # a question of its own, however short
        ("Kapan tepatnya pertemuan Putin dan Xi Jinping berakhir?", False),  # "-nya", but whole
        ("What did Putin and Xi sign?", False),
    ],
)
def test_a_follow_up_without_a_conversation_is_asked_back(question: str, asked_back: bool) -> None:
    assert resolve(question, []).resolved is not asked_back
    assert resolve(question, HISTORY).resolved  # with a conversation it has a topic
    # a conversation of questions asked back has no topic either
    assert resolve(question, [("when was this?", "")]).resolved is not asked_back


def test_service_asks_back_in_the_question_language(seed_service: RagService) -> None:
    en = seed_service.answer("when was this?")
    assert en.asks_back and en.abstained and en.citations == [] and "Which event" in en.answer
    ind = seed_service.answer("Siapa yang mengatakan itu?")
    assert ind.asks_back and ind.language == "id" and "Peristiwa mana" in ind.answer


def test_service_follow_up_from_stored_answers(seed_service: RagService) -> None:
    first = seed_service.answer("Siapa yang bertemu Putin di Moskow?")
    assert not first.abstained
    follow = seed_service.answer("Berapa hari kunjungan itu?", [first])
    assert not follow.asks_back and not follow.abstained
    assert follow.standalone_question and "Putin" in follow.standalone_question
    assert {c.doc_id for c in follow.citations} & {c.doc_id for c in first.citations}


def _cited(doc_id: str, title: str) -> Answer:
    c = Citation(
        n=1, doc_id=doc_id, title=title, source="s", published=None, quote="q", char_start=0,
        char_end=1, score=0.9,
    )  # fmt: skip
    return Answer(question="q", answer="a [1]", abstained=False, citations=[c])


def test_a_follow_up_answered_from_another_article_is_asked_back() -> None:
    previous = _cited("putin-xi", "Putin meets Xi in Moscow")
    other = _cited("bigbang", "T.O.P leaves BigBang").model_copy(update={"question": "when?"})
    asked = same_topic(other, previous)
    assert asked.asks_back and asked.abstained and "Putin meets Xi in Moscow" in asked.answer
    assert asked.related and asked.related[0].doc_id == "bigbang"  # what was found, shown as such
    same = _cited("putin-xi", "Putin meets Xi in Moscow")
    assert same_topic(same, previous) is same
