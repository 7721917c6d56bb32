"""The catalog of an index's collections: ours, other models', the old format's."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document

from rag.catalog import SEP, Catalog, collection_name, open_store
from rag.config import Settings
from rag.errors import EmbeddingMismatch, IndexEmpty
from tests.helpers import HashEmbeddings


def _commit(settings: Settings, emb: HashEmbeddings, *, of: HashEmbeddings | None = None) -> str:
    """A collection of `emb` holding one committed chunk; returns its name."""
    store = open_store(settings, emb, of=of)
    doc = Document(id="a::1::0", page_content="Banjir di Medan.", metadata={"doc_id": "a"})
    store.write([doc], emb.embed_documents_np([doc.page_content]), gen=1)
    store.set_meta(committed=1, clean=1)
    return store.name


def test_names_hash_each_model() -> None:
    one, two = collection_name("articles", "m1"), collection_name("articles", "m1", "m2")
    assert one.startswith("articles" + SEP) and two.startswith(one + SEP)
    assert one != collection_name("articles", "m2")


def test_empty_index_says_what_to_do(settings: Settings) -> None:
    catalog = Catalog(settings, HashEmbeddings())
    assert catalog.others() == []
    with pytest.raises(IndexEmpty, match="rag index seeds/"):
        catalog.check_readable()
    assert catalog.check_writable(full=False) == []


def test_another_model_is_named_and_kept_until_a_full_rebuild(settings: Settings) -> None:
    old = _commit(settings, HashEmbeddings(model_id="fake/old"))
    catalog = Catalog(settings, HashEmbeddings(model_id="fake/new"))
    (other,) = catalog.others()
    assert (other.name, other.embedding_model, other.committed) == (old, "fake/old", 1)
    assert other.main and other.built
    with pytest.raises(IndexEmpty, match="fake/old"):
        catalog.check_readable()
    with pytest.raises(EmbeddingMismatch, match="--full"):
        catalog.check_writable(full=False)
    others = catalog.check_writable(full=True)
    catalog.drop_replaced(others, full=False)  # not rebuilt: kept
    assert [o.name for o in catalog.others()] == [old]
    catalog.drop_replaced(others, full=True)
    assert catalog.others() == []


def test_second_indexes_of_ours_are_not_others(settings: Settings) -> None:
    main, cross = HashEmbeddings(), HashEmbeddings(model_id="fake/cross")
    _commit(settings, main)
    _commit(settings, cross, of=main)
    catalog = Catalog(settings, main)  # without the cross index this time
    assert catalog.others() == [] and catalog.cross is None
    catalog.check_readable()  # ours holds a chunk


def test_old_format_is_dropped_by_any_run(settings: Settings) -> None:
    catalog = Catalog(settings, HashEmbeddings())
    catalog.store.client.get_or_create_collection("articles", embedding_function=None)
    others = catalog.check_writable(full=False)
    assert [(o.name, o.committed, o.main) for o in others] == [("articles", -1, False)]
    with pytest.raises(IndexEmpty, match="older version"):
        catalog.check_readable()
    catalog.drop_replaced(others, full=False)
    assert catalog.others() == []


def test_other_index_names_in_the_same_chroma_are_ignored(settings: Settings) -> None:
    catalog = Catalog(settings, HashEmbeddings())
    catalog.store.client.get_or_create_collection("news-archive", embedding_function=None)
    assert catalog.others() == []


def test_a_reader_reloads_after_another_process_commits(settings: Settings) -> None:
    catalog = Catalog(settings, HashEmbeddings())
    catalog.refresh()
    # another process's commit: the writer is not us
    catalog.store.set_meta(committed=3, writer="elsewhere:1")
    before = catalog.store.client
    catalog.refresh()
    assert catalog.store.client is not before and catalog.store.committed == 3
    catalog.store.set_meta(writer=catalog.store.writer, committed=3)
    same = catalog.store.client
    catalog.refresh()  # nothing new committed: no reload
    assert catalog.store.client is same


def test_index_dir_is_where_the_catalog_lives(settings: Settings) -> None:
    Catalog(settings, HashEmbeddings())
    assert (Path(settings.index_dir) / "chroma").is_dir()
