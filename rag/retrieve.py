"""Retrieval: dense (Chroma), BM25 (`rag.bm25`) and a language-gated weighted fusion of the
two."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag import bm25, text
from rag.store import VectorStore

log = logging.getLogger(__name__)
Mode = Literal["hybrid", "dense", "bm25"]


@dataclass(frozen=True)
class _State:
    ids: list[str]
    by_id: dict[str, int]
    okapi: bm25.Okapi


class BM25Index:
    """BM25 over the store's committed chunks (`rag.bm25`), kept up to the last committed run.

    Saved in `folder` (`<index_dir>/bm25/<collection>-stemmed.npz`; None: memory only):
    every chunk's tokens and the bm25s matrix, with the collection (name and id) and the run
    they hold, so a new process loads them instead of tokenizing every chunk again. After a
    run, by this process or another, the file is read again if another process saved that
    run; else the chunks are reconciled by id: only those the run added are read and
    tokenized, those it removed are dropped (a chunk id names one article, run and position:
    its text never changes), and the matrix is rebuilt from the tokens held, which is cheap
    next to tokenizing (1.5 s for the 23,800 chunks of the 3,586 news_id articles, where
    tokenizing them takes 8 to 14 s). A missing, damaged or outdated file is rebuilt from the
    store, never an error. Chunk texts are read from the store when asked (`documents`), not
    held all in memory.
    """

    def __init__(
        self, store: VectorStore, stem: bm25.Stem | None = None, folder: Path | None = None
    ) -> None:
        self.store = store
        self.stem = stem
        self.folder = folder
        self.tokenizer = bm25.tokenizer_id(stem)
        self._lock = threading.Lock()
        self._key: bm25.Key | None = None  # the run held in memory
        self._saved: bm25.Key | None = None  # the run in the file
        self._corpus: bm25.TokenCorpus | None = None  # None: the file is not read yet
        self._stamp: tuple[int, int, int] | None = None  # the file as last read or written
        self._state = _State([], {}, bm25.Okapi(None, 0))
        self._chunks: dict[str, Document] = {}  # chunks read from the store, by id

    @property
    def path(self) -> Path | None:
        # one file per collection and stemming setting: a tokenizer whose code changed
        # rewrites it (its header names the tokenizer that wrote it)
        name = f"{self.store.name}-{'stemmed' if self.stem is not None else 'plain'}.npz"
        return self.folder / name if self.folder is not None else None

    def refresh(self) -> None:
        """Bring BM25 up to the store's committed run (nothing to do when it is)."""
        with self._lock:
            key = (self.store.name, self.store.uid, self.store.committed)
            if key == self._key:
                return
            first = self._corpus is None
            if first:
                self._corpus = bm25.TokenCorpus.empty()
            if not self._load(key, keep_tokens=first):
                self._update(key)

    def _load(self, key: bm25.Key, keep_tokens: bool) -> bool:
        """Read the file, if it changed since this object last read or wrote it (another
        process may have saved the run): True when it holds the committed run, then used as
        is; else its tokens are kept to reconcile if `keep_tokens` (nothing held yet)."""
        path = self.path
        stamp = bm25.stamp(path) if path is not None else None
        if path is None or stamp is None or stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            header, corpus, okapi = bm25.load(path)
        except Exception as exc:  # a damaged file is rebuilt, never fatal
            log.warning("BM25: rebuilding %s from the index (%s)", path, exc)
            return False
        saved = (str(header.get("collection")), str(header.get("uid")), header.get("committed"))
        if saved[:2] != key[:2] or header.get("tokenizer") != self.tokenizer:
            return False
        held = saved[2] == key[2] and len(corpus) == self.store.count()
        if held or keep_tokens:
            self._corpus, self._saved = corpus, (key[0], key[1], int(saved[2] or 0))
        if held:
            self._set(key, corpus, okapi)
        return held

    def _update(self, key: bm25.Key) -> None:
        """Reconcile by chunk id: tokenize only the chunks not held yet, drop the others."""
        old = self._corpus or bm25.TokenCorpus.empty()
        ids = self.store.chunk_ids()
        known = set(old.ids)
        read = self.store.chunks([cid for cid in ids if cid not in known])
        new = {str(d.id): text.keyword_tokens(d.page_content, self.stem) for d in read}
        ids = [cid for cid in ids if cid in known or cid in new]  # unless deleted meanwhile
        corpus = old.update(ids, new)
        self._chunks.update((str(d.id), d) for d in read)
        self._set(key, corpus, bm25.Okapi.build(corpus))
        self._save(key)

    def _set(self, key: bm25.Key, corpus: bm25.TokenCorpus, okapi: bm25.Okapi) -> None:
        self._corpus, self._key = corpus, key
        self._state = _State(corpus.ids, {cid: i for i, cid in enumerate(corpus.ids)}, okapi)
        by_id = self._state.by_id
        self._chunks = {cid: d for cid, d in self._chunks.items() if cid in by_id}

    def _save(self, key: bm25.Key) -> None:
        path = self.path
        if path is None or key == self._saved or self._corpus is None:
            return
        try:  # not if another run committed while the chunks were read
            if int(self.store.meta().get("committed", 0)) != key[2]:
                return
            header = {
                "format": bm25.FORMAT, "collection": key[0], "uid": key[1], "committed": key[2],
                "tokenizer": self.tokenizer, "k1": bm25.K1, "b": bm25.B,
                "bm25s": bm25.library().__version__,
            }  # fmt: skip
            bm25.save(path, header, self._corpus, self._state.okapi)
            self._saved, self._stamp = key, bm25.stamp(path)
        except Exception as exc:  # a read-only folder, a full disk: BM25 works from memory
            log.warning("BM25: cannot save %s (%s)", path, exc)

    def scores(self, query: str) -> np.ndarray:
        """A BM25 score for every chunk, in `self.docs` order."""
        self.refresh()
        okapi = self._state.okapi
        return okapi.scores(text.keyword_tokens(query, self.stem))

    def documents(
        self, positions: Iterable[int], known: Mapping[str, Document] | None = None
    ) -> dict[int, Document]:
        """The chunks at `positions` (in `scores` order): from `known` (by id) if there, else
        read from the store once each; a chunk the store no longer holds is left out."""
        state, known = self._state, known or {}
        wanted = {p: state.ids[p] for p in positions}
        missing = [c for c in wanted.values() if c not in self._chunks and c not in known]
        for d in self.store.chunks(missing) if missing else []:
            self._chunks[str(d.id)] = d
        found = {p: known.get(c) or self._chunks.get(c) for p, c in wanted.items()}
        return {p: d for p, d in found.items() if d is not None}

    @property
    def docs(self) -> list[Document]:
        """Every chunk, in `scores` order (all read from the store: prefer `documents`)."""
        return list(self.documents(range(len(self._state.ids))).values())

    def position(self, chunk_id: str) -> int | None:
        return self._state.by_id.get(chunk_id)


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


def _query_vectors(query: str, stores: dict[str, VectorStore]) -> dict[str, np.ndarray]:
    """The question's vector in each store's embedding; two are computed side by side (the
    engines hold no lock in common, and a reader waits for the slower one, not the sum)."""
    if len(stores) < 2:
        return {name: st.embeddings.embed_query_np(query) for name, st in stores.items()}
    (first, main), *others = stores.items()
    with ThreadPoolExecutor(len(others)) as pool:
        futures = {name: pool.submit(st.embeddings.embed_query_np, query) for name, st in others}
        vectors = {first: main.embeddings.embed_query_np(query)}
        return vectors | {name: future.result() for name, future in futures.items()}


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
            and text.detect_language(query) != "id"
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
        vectors = _query_vectors(query, stores)
        for name, st in stores.items():
            signals[name] = {}
            for doc, sim in st.search(vectors[name], self.fetch_k):
                signals[name][str(doc.id)] = sim
                docs.setdefault(str(doc.id), doc)
        if self.mode != "dense":
            scores = self.bm25.scores(query)
            signals["bm25"] = {}
            top = [int(i) for i in np.argsort(-scores)[: self.fetch_k] if scores[i] > 0]
            found = self.bm25.documents(top, known=docs)  # the others read from the store
            for i in top:
                if (chunk := found.get(i)) is not None:
                    signals["bm25"][str(chunk.id)] = float(scores[i])
                    docs.setdefault(str(chunk.id), chunk)
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
        weight = self.dense_weight if text.detect_language(query) == "id" else self.dense_weight_en
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
