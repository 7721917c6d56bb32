"""The answer's types: `Citation`, `Answer`, and `AnswerStream`, the typed stream every answer
writer returns (`AnswerWriter`)."""

from __future__ import annotations

import threading
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
    url: str | None = None  # where the article came from (a page's address), if known
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
    asks_back: bool = False  # a follow-up the history cannot resolve: the answer is a question
    dropped: list[str] = []  # generated sentences the support check removed
    notes: list[str] = []  # what the reader should know (an untranslated quote, a retry)


@dataclass(frozen=True)
class Restart:
    """Sent by a writer that throws its text away and writes again (a firmer prompt)."""

    reason: str


StageName = Literal["waiting", "reading", "writing", "checking", "done", "stopped"]


@dataclass(frozen=True)
class Stage:
    """Sent by a writer when it moves on: waiting for the model (`ahead`: questions before
    this one), the model reading the passages, writing, checking the sentences."""

    name: StageName
    ahead: int = 0


Event = str | Restart | Stage


class AnswerStream:
    """An answer being written (after llm's `Response`): iterate it for the text as it is
    written (nothing, for an extractive answer), then read `.answer` for the checked `Answer`.

    Reading `.answer` first consumes whatever is left of the text. When the writer starts
    over, `text` starts again from nothing and `restarts` says why. `preview` is the checked
    evidence (the extractive answer) known before any text, `stage` what the writer is doing,
    and `cancel()` stops it (from any thread): the model is freed at the next token and the
    answer is the preview, marked stopped.
    """

    def __init__(
        self, source: Generator[Event, None, Answer], preview: Answer | None = None
    ) -> None:
        self._source = source
        self._tokens: list[str] = []
        self._answer: Answer | None = None
        self._then: list[Callable[[Answer], Answer]] = []
        self._cancelled = threading.Event()
        self.restarts: list[str] = []
        self.preview = preview
        self.stage: Stage = Stage("reading")

    @classmethod
    def of(cls, answer: Answer) -> AnswerStream:
        """A stream with no text: the answer is already final."""

        def _done() -> Generator[Event, None, Answer]:
            return answer
            yield  # makes this a generator

        return cls(_done(), preview=answer)

    def _finish(self, answer: Answer) -> None:
        for fn in self._then:
            answer = fn(answer)
        self._answer = answer

    def _next(self) -> str | Stage | None:
        """The next piece of text or stage; None once the source is done (`_answer` set)."""
        while True:
            if self._cancelled.is_set():
                self._source.close()  # the writer's finally blocks free the model
                self.stage = Stage("stopped")
                self._finish(stopped(self.preview))
                return None
            try:
                token = next(self._source)
            except StopIteration as stop:
                self.stage = Stage("done")
                self._finish(stop.value)
                return None
            if isinstance(token, Restart):
                self.restarts.append(token.reason)
                self._tokens.clear()
                continue
            if isinstance(token, Stage):
                self.stage = token
                return token
            self._tokens.append(token)
            return token

    def __iter__(self) -> Iterator[str]:
        """The text as it is written."""
        for event in self.events():
            if isinstance(event, str):
                yield event

    def events(self) -> Iterator[str | Stage]:
        """The text as it is written, and the writer's stages between (for a progress line)."""
        while self._answer is None and (event := self._next()) is not None:
            yield event

    def cancel(self) -> None:
        """Stop writing (safe from another thread; takes effect at the next token)."""
        self._cancelled.set()

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


STOPPED = {
    "en": "Stopped before the answer was written: the passages found are quoted above.",
    "id": "Dihentikan sebelum jawaban selesai ditulis: bagian artikel yang ditemukan dikutip "
    "di atas.",
}


def stopped(preview: Answer | None) -> Answer:
    """The answer of a stream stopped before its end: the evidence found, marked stopped."""
    if preview is None:
        return Answer(question="", answer=STOPPED["en"], abstained=True, citations=[])
    note = STOPPED.get(preview.language, STOPPED["en"])
    return preview.model_copy(update={"notes": [*preview.notes, note]})


class AnswerWriter(Protocol):
    """Turns a question and its retrieved chunks into an answer stream."""

    def stream(self, question: str, chunks: list[Document]) -> AnswerStream: ...
