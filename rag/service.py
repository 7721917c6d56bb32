"""The composition root: builds every component from `Settings` and wires them together."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag import followup
from rag.answer import Answer, ExtractiveGenerator, Generator, make_chain
from rag.articles import Rules
from rag.checker import SupportChecker
from rag.config import Settings
from rag.embeddings import ModelEmbeddings, make_cross_embeddings, make_embeddings
from rag.errors import IndexEmpty, RagError
from rag.generate import GenerativeGenerator
from rag.retrieve import BM25Index, HybridRetriever
from rag.store import VectorStore, open_store
from rag.text import Stemmer

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from index.pipeline import IndexReport, Progress

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
        replace_index: bool = False,
    ) -> None:
        """`replace_index=True` lets a full rebuild drop an index built with another model.
        An injected `store` comes without a cross-lingual index unless `cross_store` is given."""
        self.settings = settings
        self.embeddings = embeddings or make_embeddings(settings)
        self.store = store or open_store(settings, self.embeddings, replace=replace_index)
        if cross_store is None and store is None:
            cross = make_cross_embeddings(settings)
            if cross is not None:
                cross_store = open_store(
                    settings, cross, replace=replace_index, suffix="-use", client=self.store.client
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
        self, sources: Iterable[Path | str], *, full: bool = False, progress: Progress | None = None
    ) -> IndexReport:
        """Index the articles under `sources` (files, folders, globs)."""
        from index.pipeline import build_index

        with self._write_lock:
            return build_index(
                sources,
                self.store,
                self.rules,
                chunk_size=self.settings.chunk_size,
                chunk_overlap=self.settings.chunk_overlap,
                batch_size=max(self.settings.embed_batch_size, 1),
                full=full,
                progress=progress,
                cross_store=self.cross_store,
            )

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
        if self.store.count() == 0:
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
        return Status(
            articles=len(self.store.doc_hashes()),
            chunks=self.store.count(),
            embedding_model=self.embeddings.model_id,
            cross_model=self.cross_store.model_id if self.cross_store is not None else None,
            llm=self._llm_name(),
            retriever=self.settings.retriever,
        )
