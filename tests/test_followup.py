from __future__ import annotations

import pytest

from rag.followup import standalone
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
        ("siapa yang dia temui?", "what chip limits apply to China? Siapa yang dia temui?"),
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
