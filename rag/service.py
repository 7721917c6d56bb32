"""The composition root: builds every component from `Settings`, wires them, and answers.

Components (embeddings, the catalog of collections, the retriever, the answer writers) take
their parameters from here, so `Settings` is the one source of defaults. Writing the index is
the ingest side (`rag.ingest`, `rag.library`); answering runs one LangChain chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.pipeline import IndexReport, Progress
from index.runs import IndexedArticle
from rag import followup
from rag.answer import Answer, AnswerStream, AnswerWriter, ExtractiveGenerator, make_chain
from rag.answerable import JUDGE_CALIBRATED_WITH, AnswerabilityCheck, AnswerabilityModel
from rag.articles import Rules
from rag.catalog import Catalog
from rag.checker import SupportChecker
from rag.config import Settings
from rag.embeddings import (
    EmbeddingCache,
    ModelEmbeddings,
    make_cross_embeddings,
    make_embeddings,
)
from rag.errors import ConfigError, RagError, disk_errors
from rag.evidence_only import endpoint_error
from rag.generate import GenerativeGenerator
from rag.ingest import Ingestor
from rag.library import Library
from rag.llm import LlamaCppChat, describe, label, make_llm
from rag.retrieve import BM25Index, HybridRetriever
from rag.slots import ModelQueue
from rag.store import VectorStore
from rag.text import Stemmer, detect_language, one_line
from rag.translate import Translator

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

# the conversation so far: its answers (`Answer.question` and `.answer`, and what they cited),
# or (user message, assistant message) pairs
History = Sequence["tuple[str, str] | Answer"]
MAX_QUESTION = 2000  # characters


@dataclass(frozen=True)
class Status:
    articles: int
    chunks: int
    embedding_model: str
    cross_model: str | None
    llm: str
    retriever: str
    writer: str = ""  # who writes the answers, in words


def make_retriever(
    settings: Settings,
    store: VectorStore,
    cross_store: VectorStore | None = None,
    bm25: BM25Index | None = None,
) -> HybridRetriever:
    """The configured retriever over `store` (and the cross-lingual `cross_store`)."""
    if bm25 is None:  # its tokens are saved beside an embedded index (a server's has no folder)
        stem = Stemmer() if settings.bm25_stemming else None
        folder = None if settings.chroma_host else settings.index_dir / "bm25"
        bm25 = BM25Index(store, stem, folder=folder)
    return HybridRetriever(
        store=store,
        bm25=bm25,
        mode=settings.retriever,
        k=settings.top_k,
        fetch_k=settings.fetch_k,
        dense_weight=settings.dense_weight,
        dense_weight_en=settings.dense_weight_en,
        cross_store=cross_store,
        cross_weight=settings.cross_weight,
    )


def make_answerability(
    settings: Settings, judge: bool, stem: Callable[[str], str] | None = None
) -> AnswerabilityCheck | None:
    """The configured answerability check (`judge`: an LLM that can judge is there; `stem`:
    the Indonesian stemmer to share, else one is made)."""
    mode = settings.answerability
    if mode == "auto":  # measured: the trained model refuses too many news questions
        # the judge's threshold holds for the model it was calibrated with: with the 0.5B,
        # p(yes) sits lower and every question was refused (evals/bench_llm, 18 of 18)
        calibrated = settings.llm_model == JUDGE_CALIBRATED_WITH
        mode = "judge" if judge and calibrated else "off"
    if mode == "off":
        return None
    if mode in ("judge", "both") and not judge:
        raise ConfigError(
            f"answerability = {mode} needs the local LLM (in process or llama-server) to judge; "
            "use 'model'"
        )
    model = AnswerabilityModel.load()
    thresholds = dict(model.thresholds)
    if settings.answerability_threshold is not None:
        thresholds[mode] = settings.answerability_threshold
    return AnswerabilityCheck(
        mode, model=model if mode != "judge" else None, thresholds=thresholds,
        stem=stem or Stemmer(),  # the model's cues and the abstention's missing words
    )  # fmt: skip


def make_extractive(
    settings: Settings,
    embeddings: ModelEmbeddings,
    cache: EmbeddingCache | None = None,
    answerability: AnswerabilityCheck | None = None,
    cross: ModelEmbeddings | None = None,
    stem: Callable[[str], str] | None = None,
) -> ExtractiveGenerator:
    """The configured extractive answer writer (also the gate of the generative one); with
    `cross`, the cross-lingual embedder, it gates English questions on that embedder's score."""
    return ExtractiveGenerator(
        embeddings,
        threshold=settings.abstain_threshold,
        threshold_en=settings.abstain_threshold_en,
        max_sentences=settings.max_answer_sentences,
        margin=settings.answer_margin,
        answer_types=settings.answer_types,
        cache=cache,
        answerability=answerability,
        cross=cross,
        threshold_cross=settings.abstain_threshold_cross,
        stem=stem,
    )


class RagService:
    """The product's API: `build_index(sources)` and `answer(question, history)`."""

    def __init__(
        self,
        settings: Settings,
        embeddings: ModelEmbeddings | None = None,
        store: VectorStore | None = None,
        writer: AnswerWriter | None = None,
        *,
        cross_store: VectorStore | None = None,
        llm: BaseChatModel | None = None,
    ) -> None:
        """Injected parts replace the configured ones (an injected `store` comes without a
        cross-lingual index unless `cross_store` is given; an injected `writer` is used as is,
        else `llm`, else the configured LLM, writes generated answers)."""
        self.settings = settings
        self.embeddings = embeddings or make_embeddings(settings)
        cross = make_cross_embeddings(settings) if store is None and cross_store is None else None
        self.catalog = Catalog(settings, self.embeddings, cross, store=store, cross=cross_store)
        self.ingestor = Ingestor(
            settings, self.catalog, Rules.load(settings.extra_boilerplate_rules)
        )
        self.library = Library(settings.index_dir / "library", self.ingestor)
        self.retriever = make_retriever(settings, self.catalog.store, self.catalog.cross)
        if llm is None and writer is None:
            llm = make_llm(settings)
        self.llm = llm
        # turns at the model, shared by all: the in-process model writes one answer at a time
        slots = 1 if isinstance(llm, LlamaCppChat) else settings.llm_slots
        self.llm_queue = ModelQueue(slots)
        judge = llm if hasattr(llm, "yes_probability") else None  # reads next-token logits
        self.answerability = make_answerability(
            settings,
            judge is not None,
            stem=self.retriever.bm25.stem,  # one Sastrawi
        )
        self.extractive = make_extractive(
            settings,
            self.embeddings,
            answerability=self.answerability,
            cross=self.cross_store.embeddings if self.cross_store is not None else None,
            stem=self.retriever.bm25.stem,
        )
        self.translator: Translator | None = None
        if llm is not None:
            checker = SupportChecker(
                self.embeddings, settings.support_threshold, cache=self.extractive.cache
            )
            # its own context: the answer's evaluated prefix survives the translations
            translating = llm.second_context() if isinstance(llm, LlamaCppChat) else llm
            self.translator = Translator(translating, checker, describe(llm))
            if writer is None:
                writer = GenerativeGenerator(
                    llm, self.extractive, checker, self.translator, judge=judge,
                    queue=self.llm_queue, wait_s=settings.llm_wait_s,
                    stem=self.retriever.bm25.stem,
                )  # fmt: skip
        self.writer: AnswerWriter = writer or self.extractive
        self.chain = make_chain(self.retriever, self.writer)

    @property
    def store(self) -> VectorStore:
        return self.catalog.store

    @property
    def cross_store(self) -> VectorStore | None:
        return self.catalog.cross

    # --- writing the index ---------------------------------------------------------------

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
        report = self.ingestor.build_index(
            sources, full=full, prune=prune, progress=progress, remove=remove
        )
        # BM25 tokenizes the run's new chunks now and saves them beside the index, so that
        # the next process (`rag ask` after `rag index`) loads them
        self.retriever.bm25.refresh()
        return report

    def add_files(self, files: Sequence[Path], progress: Progress | None = None) -> IndexReport:
        """Copy `files` (uploads) into the library folder and index them."""
        return self.library.add_files(files, progress)

    def add_urls(self, urls: Sequence[str], progress: Progress | None = None) -> IndexReport:
        """Fetch web pages (or a feed's items) and index them; see `Library.add_urls`."""
        return self.library.add_urls(urls, progress)

    def add_text(self, title: str, text: str, progress: Progress | None = None) -> IndexReport:
        """Index pasted text as an article titled `title` (kept in the library folder)."""
        return self.library.add_text(title, text, progress)

    def delete_articles(self, doc_ids: Sequence[str]) -> IndexReport:
        """Remove articles from the index (and their copies in the library folder)."""
        return self.library.delete(doc_ids)

    # --- reading ---------------------------------------------------------------------------

    def passage(self, doc_id: str, start: int, end: int, window: int = 400) -> tuple[str, str, str]:
        """(text before, the passage, text after) of an indexed article, `window` chars each
        side at most, cut at word boundaries: a citation shown in its context."""
        self.catalog.refresh()
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
        self.catalog.refresh()
        items = self.store.articles().values()
        return sorted(items, key=lambda a: (a.published, a.title), reverse=True)

    def answer(self, question: str, history: History | None = None) -> Answer:
        """Answer `question` from the indexed articles, with citations, or abstain.

        A follow-up ("what about DRAM?") is first rewritten into a standalone question using
        `history`, (user, assistant) pairs; see `rag.followup`. Citations in another language
        than the question carry a checked machine translation (see `translate`).
        """
        return self.translate(self.stream(question, history).answer)

    def translate(self, answer: Answer) -> Answer:
        """`answer` with each quote that is not in the question's language translated by the
        LLM and checked (`Citation.translation`; None where the check failed). Without an LLM,
        unchanged. Separate from `stream`, so a chat shows the answer before its translations.
        """
        if self.translator is None or not self.translator.needed(answer):
            return answer
        with self.llm_queue.join() as turn:  # a turn at the model like any answer
            if not turn.wait(self.settings.llm_wait_s):
                return answer
            try:
                return self.translator.citations(answer)
            except Exception as exc:  # the endpoint is gone: the answer said so already
                if not endpoint_error(exc):
                    raise
                return answer

    def stream(self, question: str, history: History | None = None) -> AnswerStream:
        """Like `answer`, as a stream: iterate it for the LLM's text as it is written (none
        for an extractive answer), then read `.answer`."""
        question = one_line(question)
        if not question:
            raise RagError("the question is empty")
        if len(question) > MAX_QUESTION:
            raise RagError(f"the question is too long ({MAX_QUESTION} characters at most)")
        with disk_errors(self.settings.index_dir):
            self.catalog.refresh()
            self.catalog.check_readable()
            return self._stream(question, history)

    def _stream(self, question: str, history: History | None) -> AnswerStream:
        turns = list(history or [])
        pairs = [
            (t.question, "" if t.abstained else t.answer) if isinstance(t, Answer) else t
            for t in turns
        ]
        asked = followup.resolve(question, pairs)
        if not asked.resolved:
            return AnswerStream.of(followup.asking_back(question, detect_language(question)))
        update: dict[str, str] = {"question": question}
        if asked.standalone != question:
            update["standalone_question"] = asked.standalone
        stream = self.chain.invoke(asked.standalone).then(lambda a: a.model_copy(update=update))
        if stream.preview is not None:
            stream.preview = stream.preview.model_copy(update=update)
        previous = next((t for t in reversed(turns) if isinstance(t, Answer)), None)
        if asked.leans and previous is not None:
            stream.then(lambda a: followup.same_topic(a, previous))
        return stream

    def status(self) -> Status:
        self.catalog.refresh()
        return Status(
            articles=len(self.store.articles()),
            chunks=self.store.count(),
            embedding_model=self.embeddings.model_id,
            cross_model=self.cross_store.model_id if self.cross_store is not None else None,
            llm=describe(self.llm),
            retriever=self.settings.retriever,
            writer=label(self.llm),
        )
