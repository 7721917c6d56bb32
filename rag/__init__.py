"""Question answering over news articles with cited passages, offline.

from rag import load_settings, RagService
service = RagService(load_settings())
service.build_index(["seeds/"])
print(service.answer("what chip limits apply to China?").answer)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from index.pipeline import IndexProgress, IndexReport
from rag.config import Settings, load_settings
from rag.errors import ConfigError, RagError
from rag.schema import Answer, AnswerStream, Citation, Stage
from rag.service import MAX_QUESTION, History, RagService, Status
from rag.translate import MACHINE

__all__ = [
    "MACHINE",
    "MAX_QUESTION",
    "Answer",
    "AnswerStream",
    "Citation",
    "ConfigError",
    "History",
    "IndexProgress",
    "IndexReport",
    "RagError",
    "RagService",
    "Settings",
    "Stage",
    "Status",
    "answer",
    "build_index",
    "load_settings",
]


def build_index(sources: Iterable[Path | str], settings: Settings | None = None) -> IndexReport:
    """Index `sources` with `settings` (default: `load_settings()`)."""
    return RagService(settings or load_settings()).build_index(sources)


def answer(
    question: str, history: History | None = None, settings: Settings | None = None
) -> Answer:
    """Answer one question from the index described by `settings`."""
    return RagService(settings or load_settings()).answer(question, history)
