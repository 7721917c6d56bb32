"""The catalog of one index: its Chroma client and collections, part of the store layer.

One collection per embedding model, named `base--<hash of the model id>`; the cross-lingual
second index of the same chunks is `base--<main hash>--<its hash>`. Collections of other
models (and of the format before models had their own, named `base`) are "others": the catalog
refuses to mix them with ours, tells the user to rebuild, and drops them once a rebuild is done.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.runs import this_process
from rag.config import Settings
from rag.embeddings import ModelEmbeddings
from rag.errors import (
    BackendUnavailable,
    ConfigError,
    EmbeddingMismatch,
    IndexEmpty,
    describe,
)
from rag.store import VectorStore

SEP = "--"


def collection_name(base: str, *model_ids: str) -> str:
    """`base--<hash of each model>`: one collection per (main model, second model)."""
    return SEP.join([base, *(hashlib.sha256(m.encode()).hexdigest()[:10] for m in model_ids)])


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
    check_index_folder(settings.index_dir)
    try:
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as exc:  # sqlite3, Rust and Chroma errors: name the known causes
        why = describe(exc)
        raise ConfigError(f"cannot open the index at {settings.index_dir}: {why}") from exc


def check_index_folder(folder: Path) -> None:
    """A clear error, before Chroma opens it, when `folder` can't hold an index: a file, no
    permission, read-only, or a SQLite file emptied to 0 bytes (which Chroma would silently
    take for a new, empty index)."""
    chroma = folder / "chroma"
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"the index folder {folder} is a file: set RAG_INDEX_DIR to a folder")
    try:
        chroma.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the index folder {folder}: {exc.strerror}") from exc
    if not os.access(chroma, os.R_OK | os.X_OK):
        raise ConfigError(f"the index folder {folder} cannot be read: check its permissions")
    sqlite = chroma / "chroma.sqlite3"
    if not os.access(chroma, os.W_OK) or (sqlite.exists() and not os.access(sqlite, os.W_OK)):
        raise ConfigError(
            f"the index folder {folder} is read-only: rag writes to it even to answer (Chroma "
            "opens its database for writing); make it writable, or copy it and point "
            "RAG_INDEX_DIR at the copy"
        )
    if sqlite.exists() and sqlite.stat().st_size == 0:
        raise ConfigError(
            f"the index database {sqlite} is empty (0 bytes): the index was truncated or lost; "
            "restore it from a backup, or move the folder away and run `rag index` again"
        )


def reopen_client(client: Any) -> Any:
    """A new embedded client on the same folder. Each process keeps its own HNSW index in
    memory, so after another process committed a run this one must reload it."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    settings = client.get_settings()
    if not settings.is_persistent:
        return client  # a server: it is the one process holding the index
    # chromadb caches one system per folder; a new client on the same folder would get the
    # stale one back, so it is stopped and forgotten first (no public API does this)
    system = SharedSystemClient._identifier_to_system.pop(client._identifier, None)
    SharedSystemClient._identifier_to_refcount.pop(client._identifier, None)
    if system is not None:
        system.stop()
    return chromadb.PersistentClient(path=settings.persist_directory, settings=settings)


def open_store(
    settings: Settings,
    embeddings: ModelEmbeddings,
    *,
    of: ModelEmbeddings | None = None,
    client: Any = None,
) -> VectorStore:
    """The configured collection for `embeddings`; `of` names the main model when this is a
    second index of the same chunks (the cross-lingual one)."""
    models = [of.model_id, embeddings.model_id] if of is not None else [embeddings.model_id]
    return VectorStore(
        client or make_client(settings), collection_name(settings.collection, *models), embeddings
    )


@dataclass(frozen=True)
class Other:
    """A collection of this index that is not ours."""

    name: str
    embedding_model: str
    committed: int  # -1: the format before runs were numbered

    @property
    def main(self) -> bool:
        """A main collection (`base--model`), not a second index of one."""
        return self.name.count(SEP) == 1

    @property
    def built(self) -> bool:
        return self.main and self.committed > 0


class Catalog:
    """Our collections (`store`, and `cross` for the cross-lingual index) and the others."""

    def __init__(
        self,
        settings: Settings,
        embeddings: ModelEmbeddings,
        cross_embeddings: ModelEmbeddings | None = None,
        *,
        store: VectorStore | None = None,
        cross: VectorStore | None = None,
    ) -> None:
        """An injected `store` comes without a cross-lingual index unless `cross` is given."""
        self.base = settings.collection
        if store is None:
            store = open_store(settings, embeddings)
            if cross is None and cross_embeddings is not None:
                cross = open_store(settings, cross_embeddings, of=embeddings, client=store.client)
        self.store = store
        self.cross = cross

    @property
    def ours(self) -> list[VectorStore]:
        return [self.store] + ([self.cross] if self.cross is not None else [])

    def refresh(self) -> None:
        """See the last committed run. After another process committed one, an embedded
        client must reload: its in-memory vector index would not know the new chunks."""
        changed = False
        for st in self.ours:
            changed = st.refresh() or changed
        if changed and self.store.writer != this_process():
            self.reopen()

    def reopen(self) -> None:
        """Drop this process's Chroma system for the folder and open it again from disk: after
        a failed write (a full disk) the old one can hang the next call."""
        client = reopen_client(self.store.client)
        if client is not self.store.client:
            for st in self.ours:
                st.reconnect(client)

    def others(self) -> list[Other]:
        """The other collections of this index (other models, older formats)."""
        client, mine = self.store.client, {st.name for st in self.ours}
        out = []
        for col in client.list_collections():
            name = col if isinstance(col, str) else col.name
            if name in mine or name.startswith(self.store.name + SEP):
                continue  # ours, or a second index of ours
            if not (name == self.base or name.startswith(self.base + "-")):
                continue  # another index in the same Chroma
            meta = client.get_collection(name, embedding_function=None).metadata or {}
            out.append(
                Other(name, str(meta.get("embedding_model")), int(meta.get("committed", -1)))
            )
        return out

    @staticmethod
    def _built_with(others: list[Other]) -> str | None:
        """The model of another main collection that holds a committed run."""
        return next((o.embedding_model for o in others if o.built), None)

    def check_writable(self, *, full: bool) -> list[Other]:
        """Before a run: the others it may replace; refuses a run that would leave an index
        built with another model beside an empty one of ours (that needs `--full`)."""
        others = self.others()
        model = self._built_with(others) if self.store.committed == 0 else None
        if not full and model:
            raise EmbeddingMismatch(
                f"the index was built with {model!r}, the embedder is now "
                f"{self.store.model_id!r}: rebuild with `rag index --full` "
                "or change RAG_EMBEDDER / RAG_EMBED_MODEL back"
            )
        return others

    def check_readable(self) -> None:
        """Before a question: a clear error when there is nothing of ours to answer from."""
        if self.store.count() > 0:
            return
        others = self.others()
        if model := self._built_with(others):
            raise IndexEmpty(
                f"nothing is indexed with {self.store.model_id!r}; the index was built "
                f"with {model!r}: run `rag index --full` to rebuild it"
            )
        if others:
            raise IndexEmpty("the index is from an older version: run `rag index` again")
        raise IndexEmpty("nothing is indexed yet: run `rag index seeds/` first")

    def drop_replaced(self, others: list[Other], *, full: bool) -> None:
        """After a committed run: drop the old format always, other models once `full` rebuilt
        ours."""
        for other in others:
            if full or SEP not in other.name:
                self.store.client.delete_collection(other.name)
