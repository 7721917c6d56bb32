"""The indexing pipeline: files -> articles -> chunks -> embeddings -> store, as one atomic run.

A run numbered G = committed + 1 writes new chunks tagged gen=G and tags the chunks it replaces
gone=G; readers keep seeing the committed run (see `rag/store.py`) until the single metadata
write that sets committed=G. Only then are replaced chunks deleted. A run that is killed leaves
its rows uncommitted: the next run reuses the chunks it had already embedded, drops the rest and
undoes its marks, so it ends with exactly one copy of every chunk.
"""

from __future__ import annotations

import bisect
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.documents import Document

from index.plan import A, Outcome, Plan, make_plan
from index.runs import NEVER, ChunkStore, Skip, live, this_process


@dataclass(frozen=True)
class IndexProgress:
    articles_done: int
    articles_total: int
    chunks_done: int
    chunks_total: int


Progress = Callable[[IndexProgress], None]


@dataclass
class IndexReport(Outcome):
    """What one indexing run did."""

    skipped: list[Skip] = field(default_factory=list)
    chunks: int = 0  # chunks written by this run
    reused: int = 0  # of which embedded by an interrupted earlier run
    seconds: float = 0.0
    embed_seconds: float = 0.0
    committed: int = 0  # the run number now visible

    def summary(self) -> str:
        dups = len(self.duplicates) + len(self.near_duplicates)
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{dups} duplicates, {len(self.skipped)} skipped; "
            f"{self.chunks} chunks in {self.seconds:.1f}s"
        )

    def details(self, limit: int = 20) -> list[str]:
        """One line per article that changed or could not be indexed, and why."""
        lines = []
        if self.reused:
            reused = f"resumed: {self.reused} chunks embedded by an interrupted run were reused"
            lines.append(reused)
        for label, items in (("added", self.added), ("updated", self.updated)):
            lines += [f"{label}: {doc_id}" for doc_id in items[:limit]]
            if len(items) > limit:
                lines.append(f"... and {len(items) - limit} more {label}")
        lines += [f"removed: {doc_id}" for doc_id in self.removed]
        lines += [f"kept: {doc_id} ({why})" for doc_id, why in self.kept]
        lines += [f"duplicate: {path} repeats {of}" for path, of in self.duplicates]
        lines += [
            f"near duplicate: {path} is {sim:.0%} the same as {of}"
            for path, of, sim in self.near_duplicates
        ]
        lines += [f"skipped: {s.path}: {s.reason}" for s in self.skipped]
        return lines


@dataclass
class _Leftovers:
    """Rows an earlier run left behind: written but never committed (`pending`), marked
    removed by a run that never committed (`marks`), removed but never deleted (`garbage`)."""

    pending: dict[str, dict[str, Any]]
    marks: list[str]
    garbage: list[str]

    @classmethod
    def of(cls, store: ChunkStore, committed: int) -> _Leftovers:
        pending = {i: m for i, _, m in store.rows({"gen": {"$gt": committed}})}
        marked = store.rows({"$and": [{"gone": {"$gt": committed}}, {"gone": {"$lt": NEVER}}]})
        garbage = store.rows({"gone": {"$lte": committed}})
        return cls(pending, [i for i, _, _ in marked if i not in pending], [i for i, *_ in garbage])

    def __bool__(self) -> bool:
        return bool(self.pending or self.marks or self.garbage)


def index_articles(
    articles: Sequence[A],
    skipped: Sequence[Skip],
    store: ChunkStore,
    chunk: Callable[[A], list[Document]],
    *,
    chunking: str,
    batch_size: int,
    near_threshold: float,
    skip_near: bool,
    full: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    cross_store: ChunkStore | None = None,
    remove: Sequence[str] = (),
) -> IndexReport:
    """Index `articles` (as loaded from the run's sources; `skipped`: what could not be read)
    as one run that readers see all at once or not at all.

    Unchanged articles are not re-embedded; changed ones replace their chunks; `prune` removes
    indexed articles missing from `articles`; `full` re-embeds them all. `chunk` cuts an
    article into chunks (`chunking` names its settings, recorded with the run).
    `cross_store`, a second collection with another embedder, gets the same chunks.
    Near duplicates of an indexed article are reported, and left out if `skip_near`.
    `remove` names indexed articles to delete in the same run.
    """
    t0 = time.perf_counter()
    report = IndexReport(skipped=list(skipped))
    store.refresh()
    committed = store.committed
    gen = committed + 1
    indexed = store.articles()
    plan = make_plan(
        articles,
        report.skipped,
        indexed,
        full=full,
        prune=prune,
        near_threshold=near_threshold,
        skip_near=skip_near,
        remove=remove,
    )
    for f in dataclasses.fields(Outcome):
        setattr(report, f.name, getattr(plan, f.name))
    stores = [store] + ([cross_store] if cross_store is not None else [])
    leftovers = [_Leftovers.of(st, committed) for st in stores]
    cross_behind = cross_store is not None and cross_store.meta().get("committed") != committed
    if plan.todo or plan.removed or any(leftovers) or cross_behind:
        for st, left in zip(stores, leftovers, strict=True):
            st.set_meta(clean=-1)  # from here on readers filter by `committed`
            st.delete_ids(left.garbage)
            st.mark_gone(left.marks, NEVER)
        if cross_store is not None and cross_behind:
            report.embed_seconds += _mirror(store, cross_store, committed, batch_size)
            leftovers[1] = _Leftovers({}, [], [])  # the mirror deleted its pending rows
        replaced = sorted(set(plan.updated) | set(plan.removed))
        for st in stores if replaced else []:
            of_replaced = {"$and": [live(committed), {"doc_id": {"$in": replaced}}]}
            st.mark_gone([i for i, *_ in st.rows(of_replaced)], gen)
        chunks = _chunks(plan, gen, chunk)
        _write(chunks, len(plan.todo), stores, leftovers, gen, batch_size, report, progress)
        for st in reversed(stores):  # the main store last: its `committed` is the switch
            extra = {"chunking": chunking} if st is store else {}
            st.set_meta(committed=gen, writer=this_process(), **extra)
        for st in stores:
            st.delete_ids([i for i, *_ in st.rows({"gone": {"$lte": gen}})])
            st.set_meta(clean=gen)
        report.committed = gen
    else:
        report.committed = committed
    for st in stores:
        st.refresh()
    report.seconds = time.perf_counter() - t0
    return report


def _chunks(plan: Plan[A], gen: int, chunk: Callable[[A], list[Document]]) -> list[Document]:
    """The planned articles' chunks, with ids unique to this run."""
    chunks: list[Document] = []
    for a in plan.todo:
        parts = chunk(a)
        for c in parts:
            c.id = f"{a.doc_id}::{gen}::{c.metadata['chunk_index']}"
        # the first chunk describes the article (see VectorStore.articles)
        parts[0].metadata.update(signature=plan.signatures.get(a.doc_id, ""), chunks=len(parts))
        chunks.extend(parts)
    return chunks


PROGRESS_STEPS = 20


def _write(
    chunks: list[Document],
    articles: int,
    stores: list[ChunkStore],
    leftovers: list[_Leftovers],
    gen: int,
    batch_size: int,
    report: IndexReport,
    progress: Progress | None,
) -> None:
    """Embed `chunks` into every store, reusing the rows a killed run had written."""
    wanted = {str(c.id) for c in chunks}
    for st, left in zip(stores, leftovers, strict=True):
        st.delete_ids([i for i in left.pending if i not in wanted])
    last = {str(c.metadata["doc_id"]): n for n, c in enumerate(chunks, 1)}
    ends = sorted(last.values())  # chunk count after each article's last chunk
    if progress:
        progress(IndexProgress(0, articles, 0, len(chunks)))
    done = 0
    # a small run moves its progress in about 20 steps instead of one batch
    step = max(1, min(batch_size, -(-len(chunks) // PROGRESS_STEPS)))
    for i in range(0, len(chunks), step):
        batch = chunks[i : i + step]
        for st, left in zip(stores, leftovers, strict=True):
            todo = [c for c in batch if not _same(left.pending.get(str(c.id)), c)]
            if st is stores[0]:
                report.reused += len(batch) - len(todo)
            if todo:
                t = time.perf_counter()
                vectors = st.embeddings.embed_documents_np([c.page_content for c in todo])
                report.embed_seconds += time.perf_counter() - t
                st.write(todo, vectors, gen)
        done += len(batch)
        if progress:  # an article is done when its last chunk is
            done_articles = bisect.bisect_right(ends, done)
            progress(IndexProgress(done_articles, articles, done, len(chunks)))
    report.chunks = len(chunks)


def _same(meta: dict[str, Any] | None, chunk: Document) -> bool:
    """A pending row holds this very chunk (same article text, same span)."""
    return meta is not None and all(
        meta.get(k) == chunk.metadata[k] for k in ("content_hash", "char_start", "char_end")
    )


def _mirror(source: ChunkStore, target: ChunkStore, committed: int, batch_size: int) -> float:
    """Make `target` hold exactly `source`'s committed chunks (an index built before `target`
    existed, or a run killed between the two commits); returns the seconds spent embedding."""
    chunks = [
        Document(id=i, page_content=t or "", metadata=m)
        for i, t, m in source.rows(live(committed), documents=True)
    ]
    wanted = {str(c.id) for c in chunks}
    rows = target.rows()
    have = {i for i, _, m in rows if i in wanted and m["gone"] == NEVER and m["gen"] <= committed}
    target.delete_ids([i for i, *_ in rows if i not in have])
    missing = [c for c in chunks if str(c.id) not in have]
    seconds = 0.0
    for i in range(0, len(missing), batch_size):
        batch = missing[i : i + batch_size]
        t = time.perf_counter()
        vectors = target.embeddings.embed_documents_np([c.page_content for c in batch])
        seconds += time.perf_counter() - t
        target.write(batch, vectors, committed)
    target.set_meta(committed=committed)
    return seconds
