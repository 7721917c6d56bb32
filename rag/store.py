"""Store: a Chroma collection (embedded or server) through langchain-chroma, our embeddings only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document

from rag.config import Settings
from rag.embeddings import ModelEmbeddings
from rag.errors import BackendUnavailable, EmbeddingMismatch

_PAGE = 5000  # rows per Chroma get() call


def make_client(settings: Settings) -> Any:
    """A Chroma client: HTTP when `chroma_host` is set, else persistent at `index_dir`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        except Exception as exc:  # connection errors come in several types
            raise BackendUnavailable(
                f"cannot reach Chroma at {settings.chroma_host}:{settings.chroma_port}: {exc}"
            ) from exc
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class VectorStore:
    """Chunks with their vectors. Records the embedding model; refuses to mix models."""

    def __init__(
        self, client: Any, collection: str, embeddings: ModelEmbeddings, *, replace: bool = False
    ) -> None:
        """Open `collection`; `replace=True` drops it first if another model built it."""
        from langchain_chroma import Chroma

        self.embeddings = embeddings
        self.client = client
        self._collection = self._open(client, collection)
        built_with = (self._collection.metadata or {}).get("embedding_model")
        if built_with != embeddings.model_id and replace:
            client.delete_collection(collection)
            self._collection = self._open(client, collection)
        elif built_with != embeddings.model_id:
            raise EmbeddingMismatch(
                f"the index was built with {built_with!r} but the embedder is "
                f"{embeddings.model_id!r}: rebuild it with `rag index --full` or change "
                "RAG_EMBEDDER / RAG_EMBED_MODEL back"
            )
        self.lc = Chroma(client=client, collection_name=collection, embedding_function=embeddings)

    def _open(self, client: Any, collection: str) -> Any:
        return client.get_or_create_collection(
            name=collection,
            embedding_function=None,  # never Chroma's default: it downloads a model
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": self.embeddings.model_id},
        )

    @property
    def model_id(self) -> str:
        return self.embeddings.model_id

    def count(self) -> int:
        return int(self._collection.count())

    def upsert(self, docs: Sequence[Document], vectors: np.ndarray) -> None:
        if not docs:
            return
        self._collection.upsert(
            ids=[str(d.id) for d in docs],
            embeddings=np.asarray(vectors, dtype=np.float32),
            documents=[d.page_content for d in docs],
            metadatas=[d.metadata for d in docs],
        )

    def delete_docs(self, doc_ids: Sequence[str]) -> None:
        if doc_ids:
            self._collection.delete(where={"doc_id": {"$in": list(doc_ids)}})

    def delete_ids(self, ids: Sequence[str]) -> None:
        if ids:
            self._collection.delete(ids=list(ids))

    def ids(self) -> list[str]:
        return [i for i, _, _ in self._rows(documents=False)]

    def doc_hashes(self) -> dict[str, str]:
        """doc_id -> content_hash of every indexed article."""
        return {m["doc_id"]: m["content_hash"] for _, _, m in self._rows(documents=False)}

    def all_chunks(self) -> list[Document]:
        return [
            Document(id=i, page_content=text or "", metadata=dict(meta))
            for i, text, meta in self._rows(documents=True)
        ]

    def _rows(self, documents: bool) -> list[tuple[str, str | None, dict[str, Any]]]:
        include = ["metadatas", "documents"] if documents else ["metadatas"]
        rows: list[tuple[str, str | None, dict[str, Any]]] = []
        offset = 0
        while True:
            got = self._collection.get(include=include, limit=_PAGE, offset=offset)
            texts = got.get("documents") or [None] * len(got["ids"])
            rows.extend(zip(got["ids"], texts, got["metadatas"], strict=True))
            if len(got["ids"]) < _PAGE:
                return rows
            offset += _PAGE

    def search(self, vector: np.ndarray, k: int) -> list[tuple[Document, float]]:
        """Top-k chunks by cosine similarity (1 - Chroma's cosine distance)."""
        if self.count() == 0:
            return []
        hits = self.lc.similarity_search_by_vector_with_relevance_scores(
            np.asarray(vector, dtype=np.float32).tolist(), k=min(k, self.count())
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


def open_store(
    settings: Settings,
    embeddings: ModelEmbeddings,
    *,
    replace: bool = False,
    suffix: str = "",
    client: Any = None,
) -> VectorStore:
    """The configured collection (plus `suffix`), created on first use (see `VectorStore`)."""
    return VectorStore(
        client or make_client(settings), settings.collection + suffix, embeddings, replace=replace
    )
