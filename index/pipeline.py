"""The indexing pipeline: files -> articles -> chunks -> embeddings -> store."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document

from rag.articles import Article, Rules, Skipped, load_articles
from rag.chunks import chunk_article
from rag.store import VectorStore

Progress = Callable[[int, int], None]  # (chunks done, chunks total)


@dataclass
class IndexReport:
    """What one indexing run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, doc_id it repeats)
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.duplicates)} duplicates, "
            f"{len(self.skipped)} skipped; {self.chunks} chunks in {self.seconds:.1f}s"
        )


def dedupe(articles: Iterable[Article]) -> tuple[list[Article], list[tuple[str, str]]]:
    """Keep the first article per doc_id and per identical text; report the rest."""
    seen_ids: set[str] = set()
    seen_text: dict[str, str] = {}
    kept: list[Article] = []
    dups: list[tuple[str, str]] = []
    for a in articles:
        if a.doc_id in seen_ids:
            dups.append((a.path, a.doc_id))
        elif a.content_hash in seen_text:
            dups.append((a.path, seen_text[a.content_hash]))
        else:
            seen_ids.add(a.doc_id)
            seen_text[a.content_hash] = a.doc_id
            kept.append(a)
    return kept, dups


def build_index(
    sources: Iterable[Path | str],
    store: VectorStore,
    rules: Rules,
    *,
    chunk_size: int = 500,
    chunk_overlap: int = 1,
    batch_size: int = 64,
    full: bool = False,
    progress: Progress | None = None,
    cross_store: VectorStore | None = None,
) -> IndexReport:
    """Index articles under `sources`; unchanged ones are skipped, changed ones replaced.

    `cross_store`, a second collection with another embedder, gets the same chunks.
    """
    t0 = time.perf_counter()
    report = IndexReport()
    articles, report.skipped = load_articles(sources, rules)
    articles, report.duplicates = dedupe(articles)
    known = {} if full else store.doc_hashes()
    todo: list[Article] = []
    for a in articles:
        if known.get(a.doc_id) == a.content_hash:
            report.unchanged.append(a.doc_id)
        else:
            (report.updated if a.doc_id in known else report.added).append(a.doc_id)
            todo.append(a)
    stores = [store] + ([cross_store] if cross_store is not None else [])
    for st in stores:
        st.delete_docs(list(st.doc_hashes()) if full else report.updated)
    chunks: list[Document] = [c for a in todo for c in chunk_article(a, chunk_size, chunk_overlap)]
    done = 0
    for i in range(0, len(chunks), batch_size):
        batch = chunks[i : i + batch_size]
        for st in stores:
            t = time.perf_counter()
            vectors = st.embeddings.embed_documents_np([c.page_content for c in batch])
            report.embed_seconds += time.perf_counter() - t
            st.upsert(batch, vectors)
        done += len(batch)
        if progress:
            progress(done, len(chunks))
    # Written in step above; only an index from before the cross store existed, or an
    # interrupted run, differs (the same count test the retriever uses to trust it).
    if cross_store is not None and cross_store.count() != store.count():
        report.embed_seconds += sync_store(store, cross_store, batch_size)
    report.chunks = len(chunks)
    report.seconds = time.perf_counter() - t0
    return report


def sync_store(source: VectorStore, target: VectorStore, batch_size: int = 64) -> float:
    """Make `target` hold exactly `source`'s chunks (an index built before `target` existed,
    or an interrupted run); returns the seconds spent embedding."""
    have = set(target.ids())
    chunks = source.all_chunks()
    wanted = {str(c.id) for c in chunks}
    target.delete_ids(sorted(have - wanted))
    missing = [c for c in chunks if str(c.id) not in have]
    seconds = 0.0
    for i in range(0, len(missing), batch_size):
        batch = missing[i : i + batch_size]
        t = time.perf_counter()
        vectors = target.embeddings.embed_documents_np([c.page_content for c in batch])
        seconds += time.perf_counter() - t
        target.upsert(batch, vectors)
    return seconds
