"""The answer's types: `Citation`, `Answer`, and `AnswerStream`, the typed stream every answer
writer returns (`AnswerWriter`)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from langchain_core.documents import Document
from pydantic import BaseModel


class Citation(BaseModel):
    n: int
    doc_id: str
    title: str
    source: str
    published: str | None
    quote: str
    char_start: int
    char_end: int
    score: float
    # the quote machine-translated into the question's language, checked like a generated
    # sentence; None when the languages match or the translation failed its check
    translation: str | None = None


class Answer(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    related: list[Citation] = []
    language: str = "en"
    mode: Literal["extractive", "generative", "fallback"] = "extractive"
    standalone_question: str | None = None  # the follow-up rewritten with the chat history
    dropped: list[str] = []  # generated sentences the support check removed
    notes: list[str] = []  # what the reader should know (an untranslated quote, a retry)


@dataclass(frozen=True)
class Restart:
    """Sent by a writer that throws its text away and writes again (a firmer prompt)."""

    reason: str


class AnswerStream:
    """An answer being written (after llm's `Response`): iterate it for the text as it is
    written (nothing, for an extractive answer), then read `.answer` for the checked `Answer`.

    Reading `.answer` first consumes whatever is left of the text. When the writer starts
    over, `text` starts again from nothing and `restarts` says why.
    """

    def __init__(self, source: Generator[str | Restart, None, Answer]) -> None:
        self._source = source
        self._tokens: list[str] = []
        self._answer: Answer | None = None
        self._then: list[Callable[[Answer], Answer]] = []
        self.restarts: list[str] = []

    @classmethod
    def of(cls, answer: Answer) -> AnswerStream:
        """A stream with no text: the answer is already final."""

        def _done() -> Generator[str | Restart, None, Answer]:
            return answer
            yield  # makes this a generator

        return cls(_done())

    def _next(self) -> str | None:
        """The next piece of text; None once the source is done (and `_answer` is set)."""
        while True:
            try:
                token = next(self._source)
            except StopIteration as stop:
                answer: Answer = stop.value
                for fn in self._then:
                    answer = fn(answer)
                self._answer = answer
                return None
            if isinstance(token, Restart):
                self.restarts.append(token.reason)
                self._tokens.clear()
                continue
            self._tokens.append(token)
            return token

    def __iter__(self) -> Iterator[str]:
        while self._answer is None and (token := self._next()) is not None:
            yield token

    @property
    def text(self) -> str:
        """The text written so far."""
        return "".join(self._tokens)

    @property
    def answer(self) -> Answer:
        """The final answer (waits for the rest of the text)."""
        answer = self._answer
        while answer is None:
            self._next()
            answer = self._answer
        return answer

    def then(self, fn: Callable[[Answer], Answer]) -> AnswerStream:
        """Apply `fn` to the final answer when it comes; returns this stream."""
        if self._answer is not None:
            self._answer = fn(self._answer)
        else:
            self._then.append(fn)
        return self


class AnswerWriter(Protocol):
    """Turns a question and its retrieved chunks into an answer stream."""

    def stream(self, question: str, chunks: list[Document]) -> AnswerStream: ...
