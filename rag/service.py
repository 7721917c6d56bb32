"""The composition root: builds every component from `Settings` and wires them together."""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag import followup
from rag.answer import Answer, ExtractiveGenerator, Generator, make_chain
from rag.articles import Rules, slug
from rag.checker import SupportChecker
from rag.config import Settings
from rag.embeddings import ModelEmbeddings, make_cross_embeddings, make_embeddings
from rag.errors import EmbeddingMismatch, IndexEmpty, RagError
from rag.generate import GenerativeGenerator
from rag.retrieve import BM25Index, HybridRetriever
from rag.store import IndexedArticle, VectorStore, open_store, reopen_client, this_process
from rag.text import Stemmer

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from index.pipeline import IndexReport, Progress


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """One indexing run at a time per embedded index (an OS lock: a killed run frees it).
    With a Chroma server, one writer is up to the operator (see README)."""
    if settings.chroma_host:
        yield
        return
    import fcntl

    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / "index.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RagError(
                f"another `rag index` is running on {settings.index_dir}; try again when it ends"
            ) from None
        yield


def _main(collection: str) -> bool:
    """A main collection (`base--model`), not a second index of one (`base--model--other`)."""
    return collection.count("--") == 1


History = Sequence[tuple[str, str]]  # (user message, assistant message) pairs


@dataclass(frozen=True)
class Status:
    articles: int
    chunks: int
    embedding_model: str
    cross_model: str | None
    llm: str
    retriever: str


class RagService:
    """The product's API: `build_index(sources)` and `answer(question, history)`."""

    def __init__(
        self,
        settings: Settings,
        embeddings: ModelEmbeddings | None = None,
        store: VectorStore | None = None,
        generator: Generator | None = None,
        *,
        cross_store: VectorStore | None = None,
        llm: BaseChatModel | None = None,
    ) -> None:
        """An injected `store` comes without a cross-lingual index unless `cross_store` is given."""
        self.settings = settings
        self.embeddings = embeddings or make_embeddings(settings)
        self.store = store or open_store(settings, self.embeddings)
        if cross_store is None and store is None:
            cross = make_cross_embeddings(settings)
            if cross is not None:
                cross_store = open_store(
                    settings, cross, of=self.embeddings, client=self.store.client
                )
        self.cross_store = cross_store
        self.rules = Rules.load(settings.extra_boilerplate_rules)
        self.retriever = HybridRetriever(
            store=self.store,
            bm25=BM25Index(self.store, Stemmer() if settings.bm25_stemming else None),
            mode=settings.retriever,
            k=settings.top_k,
            fetch_k=settings.fetch_k,
            dense_weight=settings.dense_weight,
            dense_weight_en=settings.dense_weight_en,
            cross_store=self.cross_store,
            cross_weight=settings.cross_weight,
        )
        self.extractive = ExtractiveGenerator(
            self.embeddings,
            threshold=settings.abstain_threshold,
            threshold_en=settings.abstain_threshold_en,
            max_sentences=settings.max_answer_sentences,
            margin=settings.answer_margin,
            answer_types=settings.answer_types,
        )
        if llm is None and generator is None:
            from rag.llm import make_llm

            llm = make_llm(settings)
        self.llm = llm
        if generator is None and llm is not None:
            checker = SupportChecker(
                self.embeddings, settings.support_threshold, cache=self.extractive.cache
            )
            generator = GenerativeGenerator(llm, self.extractive, checker)
        self.generator = generator or self.extractive
        self.chain = make_chain(self.retriever, self.generator)
        self._write_lock = threading.Lock()

    def build_index(
        self,
        sources: Iterable[Path | str],
        *,
        full: bool = False,
        prune: bool = False,
        progress: Progress | None = None,
        remove: Sequence[str] = (),
    ) -> IndexReport:
        """Index the articles under `sources` (files, folders, globs) as one atomic run.

        `prune` removes indexed articles missing from `sources`; `full` re-embeds them all
        (needed after changing the embedding model or the chunk settings); `remove` deletes
        the named articles.
        """
        from index.pipeline import build_index

        with self._write_lock, writer_lock(self.settings):
            self._refresh()
            others = self._other_indexes()
            if not full and self.store.committed == 0:
                built = [m for name, (m, n) in others.items() if n > 0 and _main(name)]
                if built:
                    raise EmbeddingMismatch(
                        f"the index was built with {built[0]!r}, the embedder is now "
                        f"{self.embeddings.model_id!r}: rebuild with `rag index --full` "
                        "or change RAG_EMBEDDER / RAG_EMBED_MODEL back"
                    )
            report = build_index(
                sources,
                self.store,
                self.rules,
                chunk_size=self.settings.chunk_size,
                chunk_overlap=self.settings.chunk_overlap,
                batch_size=max(self.settings.embed_batch_size, 1),
                full=full,
                prune=prune,
                progress=progress,
                cross_store=self.cross_store,
                max_bytes=int(self.settings.max_file_mb * 1024 * 1024),
                near_threshold=self.settings.near_duplicate_threshold,
                skip_near=self.settings.near_duplicates == "skip",
                remove=remove,
            )
            for name in others:  # older formats always; other models once rebuilt with --full
                if full or "--" not in name:
                    self.store.client.delete_collection(name)
            return report

    def _other_indexes(self) -> dict[str, tuple[str, int]]:
        """Other collections of this index (other models, older formats): name ->
        (embedding model, committed run or -1 for the old format)."""
        base, ours = self.settings.collection, {self.store.name}
        if self.cross_store is not None:
            ours.add(self.cross_store.name)
        out = {}
        for col in self.store.client.list_collections():
            name = col if isinstance(col, str) else col.name
            mine = name in ours or name.startswith(self.store.name + "--")
            if mine or not (name == base or name.startswith(base + "-")):
                continue
            meta = (self.store.client.get_collection(name, embedding_function=None).metadata) or {}
            out[name] = (str(meta.get("embedding_model")), int(meta.get("committed", -1)))
        return out

    def _refresh(self) -> None:
        """See the last committed run. After another process committed one, an embedded
        client must reload: its in-memory vector index would not know the new chunks."""
        changed = self.store.refresh()
        if self.cross_store is not None:
            changed = self.cross_store.refresh() or changed
        if changed and self.store.writer != this_process():
            client = reopen_client(self.store.client)
            if client is not self.store.client:
                for st in (self.store, self.cross_store):
                    if st is not None:
                        st.reconnect(client)

    @property
    def library_dir(self) -> Path:
        """Where articles added through `add_files` / `add_text` are kept."""
        return self.settings.index_dir / "library"

    def add_files(self, files: Sequence[Path], progress: Progress | None = None) -> IndexReport:
        """Copy `files` (uploads) into the library folder and index them."""
        self.library_dir.mkdir(parents=True, exist_ok=True)
        kept = []
        for f in files:
            target = self.library_dir / Path(f).name
            if Path(f).resolve() != target.resolve():
                shutil.copyfile(f, target)
            kept.append(target)
        return self.build_index(kept, progress=progress)

    def add_text(self, title: str, text: str, progress: Progress | None = None) -> IndexReport:
        """Index pasted text as an article titled `title` (kept in the library folder)."""
        title, text = " ".join(title.split()), text.strip()
        if not text:
            raise RagError("the article text is empty")
        name = slug(title) or "pasted-" + hashlib.sha256(text.encode()).hexdigest()[:8]
        self.library_dir.mkdir(parents=True, exist_ok=True)
        path = self.library_dir / f"{name}.txt"
        path.write_text(f"{title}\n\n{text}\n" if title else text + "\n", encoding="utf-8")
        return self.build_index([path], progress=progress)

    def delete_articles(self, doc_ids: Sequence[str]) -> IndexReport:
        """Remove articles from the index (and their copies in the library folder)."""
        held = self.store.articles()
        report = self.build_index([], remove=doc_ids)
        for doc_id in report.removed:
            path = Path(held[doc_id].path)
            if path.parent == self.library_dir and path.is_file():
                path.unlink()
        return report

    def passage(self, doc_id: str, start: int, end: int, window: int = 400) -> tuple[str, str, str]:
        """(text before, the passage, text after) of an indexed article, `window` chars each
        side at most, cut at word boundaries: a citation shown in its context."""
        self._refresh()
        text = self.store.article_text(doc_id)
        lo, hi = max(start - window, 0), min(end + window, len(text))
        before, after = text[lo:start], text[end:hi]
        if lo > 0:
            before = "…" + before.split(" ", 1)[-1]
        if hi < len(text):
            after = after.rsplit(" ", 1)[0] + "…"
        return before, text[start:end], after

    def articles(self) -> list[IndexedArticle]:
        """The indexed articles, newest first."""
        self._refresh()
        items = self.store.articles().values()
        return sorted(items, key=lambda a: (a.published, a.title), reverse=True)

    def answer(self, question: str, history: History | None = None) -> Answer:
        """Answer `question` from the indexed articles, with citations, or abstain.

        A follow-up ("what about DRAM?") is first rewritten into a standalone question using
        `history`, (user, assistant) pairs; see `rag.followup`.
        """
        *_, last = self.stream(question, history)
        assert isinstance(last, Answer)
        return last

    def stream(self, question: str, history: History | None = None) -> Iterator[str | Answer]:
        """Like `answer`, but yields the LLM's tokens as they come; the `Answer` comes last."""
        question = " ".join(question.split())
        if not question:
            raise RagError("the question is empty")
        if len(question) > 2000:
            raise RagError("the question is too long (2000 characters at most)")
        self._refresh()
        if self.store.count() == 0:
            others = self._other_indexes()
            if built := [m for name, (m, n) in others.items() if n > 0 and _main(name)]:
                raise IndexEmpty(
                    f"nothing is indexed with {self.embeddings.model_id!r}; the index was built "
                    f"with {built[0]!r}: run `rag index --full` to rebuild it"
                )
            if others:
                raise IndexEmpty("the index is from an older version: run `rag index` again")
            raise IndexEmpty("nothing is indexed yet: run `rag index seeds/` first")
        standalone = followup.standalone(question, history)
        if isinstance(self.generator, GenerativeGenerator):
            items: Iterator[str | Answer] = self.generator.stream(
                standalone, self.retriever.invoke(standalone)
            )
        else:
            items = iter([self.chain.invoke(standalone)])
        for item in items:
            if isinstance(item, Answer):
                update = {"question": question}
                if standalone != question:
                    update["standalone_question"] = standalone
                item = item.model_copy(update=update)
            yield item

    def _llm_name(self) -> str:
        if self.llm is None:
            return "none (extractive)"
        name = getattr(self.llm, "model_name", None) or getattr(self.llm, "model", None)
        return f"{self.llm._llm_type}: {name}" if name else self.llm._llm_type

    def status(self) -> Status:
        self._refresh()
        return Status(
            articles=len(self.store.articles()),
            chunks=self.store.count(),
            embedding_model=self.embeddings.model_id,
            cross_model=self.cross_store.model_id if self.cross_store is not None else None,
            llm=self._llm_name(),
            retriever=self.settings.retriever,
        )
