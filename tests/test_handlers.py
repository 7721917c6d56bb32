"""The API's event stream (`/ask_events`, used by evals/load.py): the real extractive service,
and a scripted stream for the pacing of text and stage events."""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

import pytest

from evals import load
from rag import Answer, AnswerStream, RagService, Stage
from rag.schema import Event
from tests.helpers import CHIP_SENTENCE, served
from ui.handlers import Handlers
from ui.views import REFRESH_S


def test_the_evidence_comes_first_then_the_checked_answer(seed_service: RagService) -> None:
    events = list(Handlers(seed_service).ask_events("what chip limits apply to China?"))
    assert [e["event"] for e in events][:1] == ["evidence"]
    assert events[-1]["event"] in ("answer", "translated")
    answer = next(e["answer"] for e in events if e["event"] == "answer")
    assert any(c["quote"] in CHIP_SENTENCE for c in answer["citations"])
    assert "14" in answer["answer"]


def test_an_empty_question_is_an_error_event(seed_service: RagService) -> None:
    assert list(Handlers(seed_service).ask_events("   ")) == [
        {"event": "error", "error": "the question is empty"}
    ]


class _Scripted:
    """A service whose answer stream is a script: waiting in line, then fast tokens."""

    def __init__(self, tokens: int, token_s: float) -> None:
        self.tokens, self.token_s = tokens, token_s

    def stream(self, question: str, history: Any = None) -> AnswerStream:
        final = Answer(question=question, answer="x" * self.tokens, abstained=False, citations=[])

        def script() -> Generator[Event, None, Answer]:
            for ahead in (2, 2, 2, 1, 1):  # the writer repeats its place in line
                yield Stage("waiting", ahead)
            yield Stage("writing")
            for _ in range(self.tokens):
                time.sleep(self.token_s)
                yield "x"
            return final

        return AnswerStream(script(), preview=final)

    def translate(self, answer: Answer) -> Answer:
        return answer


@pytest.mark.parametrize("token_s", [0.0, REFRESH_S * 1.5])
def test_text_is_paced_and_a_place_in_line_is_sent_when_it_changes(token_s: float) -> None:
    tokens = 40 if not token_s else 8
    events = list(Handlers(_Scripted(tokens, token_s)).ask_events("q"))  # type: ignore[arg-type]
    stages = [(e["stage"], e["ahead"]) for e in events if e["event"] == "stage"]
    assert stages == [("waiting", 2), ("waiting", 1), ("writing", 0)]
    texts = [e["text"] for e in events if e["event"] == "text"]
    if token_s:  # slower than the pace: every token is shown
        assert texts == ["x" * n for n in range(1, tokens + 1)]
    else:  # faster: the first is shown, the rest comes with the answer (on a loaded
        # machine a pause may let a few more through; unpaced, all 40 would be sent)
        assert texts[0] == "x" and len(texts) <= 10
    assert events[-1] == {"event": "answer", "answer": events[-1]["answer"]}
    assert events[-1]["answer"]["answer"] == "x" * tokens


def test_the_load_generator_reads_the_served_events(seed_service: RagService) -> None:
    """evals/load.py over the real app: every question answered, the evidence before it."""
    with served(seed_service) as url:
        result = load.run(url, sessions=2, per_session=2)
    assert result["errors"] == 0 and result["requests"] == 4
    assert 0 < result["evidence_p50_s"] <= result["answer_p50_s"]
    assert result["different_from_alone"] == 0  # the extractive answer does not change
