"""Retrieval: dense (Chroma), BM25 and a language-gated weighted fusion of the two."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.store import VectorStore
from rag.text import detect_language, keyword_tokens

Mode = Literal["hybrid", "dense", "bm25"]


class BM25:
    """Okapi BM25 with Lucene's IDF, log(1 + (N - df + 0.5) / (df + 0.5)), which stays positive
    for terms in most documents (the classic IDF goes to zero or below on small collections).
    Term weights are precomputed into a sparse matrix, so a query is one column sum."""

    def __init__(self, corpus: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        from scipy.sparse import csc_matrix

        self.vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        for i, tokens in enumerate(corpus):
            counts: dict[int, int] = {}
            for t in tokens:
                j = self.vocab.setdefault(t, len(self.vocab))
                counts[j] = counts.get(j, 0) + 1
            rows.extend([i] * len(counts))
            cols.extend(counts)
            tfs.extend(counts.values())
        n = len(corpus)
        lengths = np.array([len(t) for t in corpus], dtype=np.float64)
        avgdl = lengths.mean() if n and lengths.mean() > 0 else 1.0
        row_idx = np.asarray(rows, dtype=np.int64)
        col_idx = np.asarray(cols, dtype=np.int64)
        tf = np.asarray(tfs, dtype=np.float64)
        df = np.bincount(col_idx, minlength=len(self.vocab)).astype(np.float64)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * lengths[row_idx] / avgdl)
        weights = idf[col_idx] * tf * (k1 + 1) / (tf + norm)
        self._w = csc_matrix((weights, (row_idx, col_idx)), shape=(n, len(self.vocab)))

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        cols = [self.vocab[t] for t in tokens if t in self.vocab]
        if not cols:
            return np.zeros(self._w.shape[0])
        return np.asarray(self._w[:, cols].sum(axis=1)).ravel()


class BM25Index:
    """BM25 (Okapi) over the store's committed chunks, rebuilt when another run commits."""

    def __init__(self, store: VectorStore, stem: Callable[[str], str] | None = None) -> None:
        self.store = store
        self.stem = stem
        self._lock = threading.Lock()
        self._key: tuple[str, int] | None = None
        self._docs: list[Document] = []
        self._by_id: dict[str, int] = {}
        self._bm25: BM25 | None = None

    def _refresh(self) -> None:
        with self._lock:
            key = (self.store.name, self.store.committed)
            if key == self._key:
                return
            docs = self.store.all_chunks()
            self._docs = docs
            self._by_id = {str(d.id): i for i, d in enumerate(docs)}
            corpus = [keyword_tokens(d.page_content, self.stem) for d in docs]
            self._bm25 = BM25(corpus) if docs else None
            self._key = key

    def scores(self, query: str) -> np.ndarray:
        """A BM25 score for every chunk, in `self.docs` order."""
        self._refresh()
        tokens = keyword_tokens(query, self.stem)
        if self._bm25 is None or not tokens:
            return np.zeros(len(self._docs))
        return self._bm25.get_scores(tokens)

    @property
    def docs(self) -> list[Document]:
        return self._docs

    def position(self, chunk_id: str) -> int | None:
        return self._by_id.get(chunk_id)


def _minmax(values: dict[str, float]) -> dict[str, float]:
    if not values:
        return {}
    lo, hi = min(values.values()), max(values.values())
    if hi - lo < 1e-12:
        return {k: (1.0 if hi > 0 else 0.0) for k in values}
    return {k: (v - lo) / (hi - lo) for k, v in values.items()}


@dataclass(frozen=True)
class Scored:
    doc: Document
    score: float
    dense: float | None
    bm25: float | None


def fuse(
    dense: dict[str, float], bm25: dict[str, float], dense_weight: float
) -> list[tuple[str, float]]:
    """Weighted sum of min-max normalized dense and BM25 scores, best first (see `fuse_many`)."""
    return fuse_many([(dense, dense_weight), (bm25, 1 - dense_weight)])


def fuse_many(signals: list[tuple[dict[str, float], float]]) -> list[tuple[str, float]]:
    """Weighted sum of min-max normalized scores over the union of candidates, best first.

    Candidates missing from one list get that list's minimum (normalized 0).
    """
    normalized = [(_minmax(scores), weight) for scores, weight in signals]
    ids = set().union(*(scores for scores, _ in normalized)) if normalized else set()
    fused = {cid: sum(w * n.get(cid, 0.0) for n, w in normalized) for cid in ids}
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


class HybridRetriever(BaseRetriever):
    """A LangChain retriever; each returned Document has `score`, `dense_score`, `bm25_score`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    # no defaults: the composition root (`rag.service.make_retriever`) passes `Settings`'
    store: VectorStore
    bm25: BM25Index
    mode: Mode
    k: int
    fetch_k: int
    dense_weight: float  # dense share of the fusion for Indonesian questions
    dense_weight_en: float  # the same for other questions
    cross_store: VectorStore | None  # a second dense index for non-Indonesian questions
    cross_weight: float  # its share of the dense score for those questions

    def _use_cross(self, query: str) -> bool:
        # A cross index that missed the last committed run (built before it existed, or
        # turned off for a run) is not used.
        return (
            self.cross_store is not None
            and self.mode != "bm25"
            and self.cross_weight > 0
            and detect_language(query) != "id"
            and self.cross_store.committed == self.store.committed
        )

    def candidates(self, query: str) -> tuple[dict[str, dict[str, float]], dict[str, Document]]:
        """Scores of the union of every signal's top-`fetch_k` list, by signal ("dense",
        "cross", "bm25"), each exact for every candidate; and the chunks by id."""
        docs: dict[str, Document] = {}
        signals: dict[str, dict[str, float]] = {}
        stores = {"dense": self.store} if self.mode != "bm25" else {}
        if self.cross_store is not None and self._use_cross(query):
            stores["cross"] = self.cross_store
        vectors = {name: st.embeddings.embed_query_np(query) for name, st in stores.items()}
        for name, st in stores.items():
            signals[name] = {}
            for doc, sim in st.search(vectors[name], self.fetch_k):
                signals[name][str(doc.id)] = sim
                docs.setdefault(str(doc.id), doc)
        if self.mode != "dense":
            scores = self.bm25.scores(query)
            signals["bm25"] = {}
            for i in np.argsort(-scores)[: self.fetch_k]:
                if scores[i] > 0:
                    doc = self.bm25.docs[i]
                    signals["bm25"][str(doc.id)] = float(scores[i])
                    docs.setdefault(str(doc.id), doc)
            for cid in docs:  # exact BM25 for the other signals' candidates too
                pos = self.bm25.position(cid)
                if pos is not None and cid not in signals["bm25"]:
                    signals["bm25"][cid] = float(scores[pos])
        for name, st in stores.items():  # exact similarities for the others' candidates
            missing = [cid for cid in docs if cid not in signals[name]]
            signals[name].update(st.similarities(vectors[name], missing))
        return signals, docs

    def rank(self, query: str, signals: dict[str, dict[str, float]]) -> list[tuple[str, float]]:
        """Chunk ids best first, by the configured mode (and language gate for hybrid)."""
        dense, bm25 = signals.get("dense", {}), signals.get("bm25", {})
        if "cross" in signals:  # non-Indonesian question: the dense score is e5 + USE
            weight = 1.0 if self.mode == "dense" else self.dense_weight_en
            return fuse_many([
                (dense, weight * (1 - self.cross_weight)),
                (signals["cross"], weight * self.cross_weight),
                (bm25, 1 - weight),
            ])  # fmt: skip
        if self.mode == "dense":
            return sorted(dense.items(), key=lambda kv: (-kv[1], kv[0]))
        if self.mode == "bm25":
            return sorted(bm25.items(), key=lambda kv: (-kv[1], kv[0]))
        weight = self.dense_weight if detect_language(query) == "id" else self.dense_weight_en
        return fuse(dense, bm25, weight)

    def search(self, query: str, k: int | None = None) -> list[Scored]:
        signals, docs = self.candidates(query)
        ranked = self.rank(query, signals)[: k or self.k]
        dense, bm25 = signals.get("dense", {}), signals.get("bm25", {})
        return [Scored(docs[cid], score, dense.get(cid), bm25.get(cid)) for cid, score in ranked]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        out = []
        for hit in self.search(query):
            meta = {**hit.doc.metadata, "score": hit.score}
            meta["dense_score"] = hit.dense
            meta["bm25_score"] = hit.bm25
            out.append(Document(id=hit.doc.id, page_content=hit.doc.page_content, metadata=meta))
        return out
