"""Store: Chroma collections (embedded or server) through langchain-chroma, our embeddings only.

Every chunk row carries `gen`, the indexing run that wrote it, and `gone`, the run that removed
it (`NEVER` while it is live). A collection's metadata `committed` is the last run that
completed: readers see exactly the rows with gen <= committed < gone, so a run in progress, or
one killed halfway, is invisible (see `index/pipeline.py`). `clean == committed` means no other
rows exist, and reads skip the filter.

One collection per embedding model (its id hashed into the name), so an index built with
another model is never mixed with ours, and a rebuild with a new model leaves the old one
answering until the new one is committed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document

from index.runs import NEVER, IndexedArticle, Row, live
from rag.embeddings import ModelEmbeddings

_PAGE = 5000  # rows per Chroma get() call
_WRITE = 1000  # rows per Chroma write call


class VectorStore:
    """The chunks of one collection with their vectors, as of its last committed run."""

    def __init__(self, client: Any, name: str, embeddings: ModelEmbeddings) -> None:
        self.embeddings = embeddings
        self.name = name
        self.writer = ""  # who committed the last run (see `index.runs.this_process`)
        self.reconnect(client)

    @property
    def model_id(self) -> str:
        return self.embeddings.model_id

    @property
    def uid(self) -> str:
        """The collection's id: one deleted and made again under the same name has another."""
        return str(self._collection.id)

    def reconnect(self, client: Any) -> None:
        """Use `client` from now on (see `rag.catalog.reopen_client`); forgets what was read."""
        from langchain_chroma import Chroma

        self.client = client
        self._collection = client.get_or_create_collection(
            name=self.name,
            embedding_function=None,  # never Chroma's default: it downloads a model
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": self.embeddings.model_id, "committed": 0, "clean": 0},
        )
        self.lc = Chroma(
            client=client, collection_name=self.name, embedding_function=self.embeddings
        )
        self._view: tuple[int, bool] | None = None  # (committed, needs the filter)
        self._count: int | None = None
        self._articles: dict[str, IndexedArticle] | None = None

    # --- what readers see ----------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        """The collection's metadata, read now (another process may have committed)."""
        return dict(self.client.get_collection(self.name, embedding_function=None).metadata or {})

    def refresh(self) -> bool:
        """Re-read the committed run; True when it changed since the last refresh."""
        meta = self.meta()
        self.writer = str(meta.get("writer", ""))
        committed = int(meta.get("committed", 0))
        view = (committed, int(meta.get("clean", -1)) != committed)
        changed = self._view is not None and view[0] != self._view[0]
        if view != self._view:
            self._view, self._count, self._articles = view, None, None
        return changed

    @property
    def committed(self) -> int:
        if self._view is None:
            self.refresh()
        assert self._view is not None
        return self._view[0]

    def where(self) -> dict[str, Any] | None:
        """The Chroma filter for the committed rows; None when every row is committed."""
        committed = self.committed
        if not self._view or not self._view[1]:
            return None
        return live(committed)

    def _committed_and(self, where: dict[str, Any]) -> dict[str, Any]:
        """The committed rows that also match `where`."""
        visible = self.where()
        return {"$and": [visible, where]} if visible else where

    def count(self) -> int:
        """Committed chunks."""
        if self._view is None:
            self.refresh()
        if self._count is None:
            where = self.where()
            self._count = (
                int(self._collection.count())
                if where is None
                else len(self._collection.get(where=where, include=[])["ids"])
            )
        return self._count

    def search(self, vector: np.ndarray, k: int) -> list[tuple[Document, float]]:
        """Top-k committed chunks by cosine similarity (1 - Chroma's cosine distance)."""
        n = self.count()
        if n == 0:
            return []
        hits = self.lc.similarity_search_by_vector_with_relevance_scores(
            np.asarray(vector, dtype=np.float32).tolist(), k=min(k, n), filter=self.where()
        )
        return [(doc, 1.0 - float(distance)) for doc, distance in hits]

    def similarities(self, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of `vector` to the stored vectors of `ids` (unknown ids omitted)."""
        if not ids:
            return {}
        got = self._collection.get(ids=list(ids), include=["embeddings"])
        if not len(got["ids"]):
            return {}
        matrix = np.asarray(got["embeddings"], dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * max(float(np.linalg.norm(vector)), 1e-12)
        sims = matrix @ np.asarray(vector, dtype=np.float32) / np.maximum(norms, 1e-12)
        return {cid: float(v) for cid, v in zip(got["ids"], sims, strict=True)}

    def all_chunks(self) -> list[Document]:
        """Every committed chunk, with its text."""
        return [
            Document(id=i, page_content=text or "", metadata=dict(meta))
            for i, text, meta in self.rows(self.where(), documents=True)
        ]

    def chunk_ids(self) -> list[str]:
        """Every committed chunk's id, in `all_chunks` order (nothing else is read)."""
        ids: list[str] = []
        while True:
            got = self._collection.get(where=self.where(), include=[], limit=_PAGE, offset=len(ids))
            ids.extend(got["ids"])
            if len(got["ids"]) < _PAGE:
                return ids

    def chunks(self, ids: Sequence[str]) -> list[Document]:
        """The chunks of `ids`, with their text (ids the collection does not hold left out)."""
        out: list[Document] = []
        for batch in _batches(ids):
            got = self._collection.get(ids=batch, include=["documents", "metadatas"])
            texts = got.get("documents") or [None] * len(got["ids"])
            out += [
                Document(id=i, page_content=t or "", metadata=dict(m or {}))
                for i, t, m in zip(got["ids"], texts, got["metadatas"], strict=True)
            ]
        return out

    def articles(self) -> dict[str, IndexedArticle]:
        """The committed articles by doc_id."""
        if self._view is None:
            self.refresh()
        if self._articles is None:
            self._articles = self._read_articles()
        return self._articles

    def _read_articles(self) -> dict[str, IndexedArticle]:
        # an article's first chunk records its chunk count: reading those rows is enough,
        # unless the counts do not add up (rows written otherwise): then read every row
        heads = self.rows(self._committed_and({"chunk_index": 0}))
        first = {str(m["doc_id"]): m for _, _, m in heads}
        chunks = {d: int(m.get("chunks", 0)) for d, m in first.items()}
        if sum(chunks.values()) != self.count():
            chunks, first = {}, {}
            for _, _, m in self.rows(self.where()):
                doc_id = str(m["doc_id"])
                chunks[doc_id] = chunks.get(doc_id, 0) + 1
                if m.get("chunk_index") == 0 or doc_id not in first:
                    first[doc_id] = m
        return {
            d: IndexedArticle(
                doc_id=d,
                title=str(m.get("title", "")),
                source=str(m.get("source", "")),
                published=str(m.get("published", "")),
                path=str(m.get("path", "")),
                content_hash=str(m.get("content_hash", "")),
                chunks=chunks[d],
                signature=str(m.get("signature", "")),
            )
            for d, m in first.items()
        }

    def article_text(self, doc_id: str) -> str:
        """The article's cleaned text, rebuilt from its committed chunks (offsets are exact;
        the whitespace between two chunks that do not overlap becomes one space or newline)."""
        rows = self.rows(self._committed_and({"doc_id": doc_id}), documents=True)
        text = ""
        for _, chunk, m in sorted(rows, key=lambda r: int(r[2]["char_start"])):
            start = int(m["char_start"])
            if start > len(text):
                text += ("\n" if start - len(text) > 1 else " ") * (start - len(text))
            text = text[:start] + (chunk or "")
        return text

    def doc_hashes(self) -> dict[str, str]:
        """doc_id -> content_hash of every committed article."""
        return {d: a.content_hash for d, a in self.articles().items()}

    # --- what the indexer uses (index.runs.ChunkStore) ---------------------------------------

    def rows(self, where: dict[str, Any] | None = None, documents: bool = False) -> list[Row]:
        """(id, text or None, metadata) of the rows matching `where` (all rows if None)."""
        include = ["metadatas", "documents"] if documents else ["metadatas"]
        rows: list[Row] = []
        offset = 0
        while True:
            got = self._collection.get(where=where, include=include, limit=_PAGE, offset=offset)
            texts = got.get("documents") or [None] * len(got["ids"])
            rows.extend(zip(got["ids"], texts, got["metadatas"], strict=True))
            if len(got["ids"]) < _PAGE:
                return rows
            offset += _PAGE

    def write(self, docs: Sequence[Document], vectors: np.ndarray, gen: int) -> None:
        """Add chunks as written by run `gen` (invisible until that run commits)."""
        if not docs:
            return
        self._collection.upsert(
            ids=[str(d.id) for d in docs],
            embeddings=np.asarray(vectors, dtype=np.float32),
            documents=[d.page_content for d in docs],
            metadatas=[{**d.metadata, "gen": gen, "gone": NEVER} for d in docs],
        )

    def mark_gone(self, ids: Sequence[str], gen: int) -> None:
        """Removed by run `gen`: still visible until it commits (NEVER undoes the mark)."""
        for batch in _batches(ids):
            self._collection.update(ids=batch, metadatas=[{"gone": gen}] * len(batch))

    def delete_ids(self, ids: Sequence[str]) -> None:
        for batch in _batches(ids):
            self._collection.delete(ids=batch)

    def set_meta(self, **values: Any) -> None:
        """Merge `values` into the collection metadata (`committed=` publishes a run)."""
        meta = {**self.meta(), **values}
        self._collection.modify(metadata=meta)


def _batches(ids: Sequence[str]) -> Iterator[list[str]]:
    for i in range(0, len(ids), _WRITE):
        yield list(ids[i : i + _WRITE])
