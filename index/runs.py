"""The run protocol shared by the indexer and every reader: how chunk rows are tagged with the
run that wrote them (`gen`) and the run that removed them (`gone`), and what a store must offer
the indexer. This package imports nothing from `rag`: `rag` builds on it, never the reverse.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from langchain_core.documents import Document

NEVER = 2**31 - 1  # `gone` of a live row

Row = tuple[str, str | None, dict[str, Any]]  # (id, text or None, metadata)


def live(run: int) -> dict[str, Any]:
    """The Chroma filter for the rows visible once run `run` is committed."""
    return {"$and": [{"gen": {"$lte": run}}, {"gone": {"$gt": run}}]}


def this_process() -> str:
    """Who commits a run (recorded as `writer`): a reader in the same process shares the
    writer's in-memory index and need not reload it."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class IndexedArticle:
    """One article as the index holds it (from its chunks' metadata)."""

    doc_id: str
    title: str
    source: str
    published: str
    path: str
    content_hash: str
    chunks: int
    signature: str  # MinHash, hex (index/neardup.py)


class Article(Protocol):
    """What the indexer needs of an article (rag.articles.Article is one)."""

    @property
    def doc_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def content_hash(self) -> str: ...


class Skip(Protocol):
    """A file or record that could not be read (rag.formats.Skipped is one)."""

    @property
    def path(self) -> str: ...
    @property
    def reason(self) -> str: ...


class Embedder(Protocol):
    def embed_documents_np(self, texts: list[str]) -> np.ndarray: ...


class ChunkStore(Protocol):
    """One collection of chunk rows, as the indexer writes it (rag.store.VectorStore is one)."""

    @property
    def embeddings(self) -> Embedder: ...
    @property
    def committed(self) -> int: ...
    def refresh(self) -> bool: ...
    def meta(self) -> dict[str, Any]: ...
    def set_meta(self, **values: Any) -> None: ...
    def articles(self) -> dict[str, IndexedArticle]: ...
    def rows(self, where: dict[str, Any] | None = None, documents: bool = False) -> list[Row]: ...
    def write(self, docs: Sequence[Document], vectors: np.ndarray, gen: int) -> None: ...
    def mark_gone(self, ids: Sequence[str], gen: int) -> None: ...
    def delete_ids(self, ids: Sequence[str]) -> None: ...
