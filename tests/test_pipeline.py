from __future__ import annotations

import hashlib
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.documents import Document

from index.pipeline import IndexProgress, index_articles
from index.runs import NEVER, IndexedArticle, Row, live
from rag.config import Settings
from rag.errors import ConfigError, EmbeddingMismatch, IndexEmpty, RagError
from rag.service import RagService
from rag.store import VectorStore
from tests.helpers import HashEmbeddings

TEXT_A = "Jakarta - Banjir melanda kota Medan. Ribuan warga mengungsi ke masjid.\n(abc/def)"
TEXT_B = "Gempa berkekuatan 5,2 mengguncang Padang. Tidak ada korban jiwa."
TEXT_C = "Harga cabai merah naik tajam di pasar Bandung menjelang Lebaran."
WIRE = (
    "Bank Indonesia menahan suku bunga acuan di level 6 persen pada rapat dewan gubernur "
    "bulan ini. Gubernur BI mengatakan keputusan itu untuk menjaga stabilitas rupiah di "
    "tengah ketidakpastian global. Inflasi inti diperkirakan tetap terkendali hingga akhir "
    "tahun, sementara pertumbuhan kredit perbankan masih melambat di sejumlah sektor."
)


def _write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def _chunk_ids(svc: RagService) -> list[str]:
    return _ids(svc.store)


def _ids(store: VectorStore) -> list[str]:
    """The committed chunk ids; and no other rows may exist once a run has ended."""
    committed = sorted(str(d.id) for d in store.all_chunks())
    assert sorted(i for i, *_ in store.rows()) == committed
    return committed


def test_incremental_add_unchanged_update(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A, "b.txt": TEXT_B})
    first = svc.build_index([folder])
    assert sorted(first.added) == ["a", "b"] and first.chunks >= 2
    ids = _chunk_ids(svc)

    again = svc.build_index([folder])
    assert sorted(again.unchanged) == ["a", "b"] and again.chunks == 0
    assert _chunk_ids(svc) == ids  # nothing duplicated
    assert again.committed == first.committed  # a no-change run writes nothing

    _write(folder, {"b.txt": "Gempa mengguncang Padang.\n\nWarga panik. " + "Kata kata. " * 80})
    third = svc.build_index([folder])
    assert third.updated == ["b"] and third.unchanged == ["a"]
    b_chunks = [d for d in svc.store.all_chunks() if d.metadata["doc_id"] == "b"]
    assert len(b_chunks) == third.chunks > 1  # old chunks replaced, not kept beside the new
    assert all("Tidak ada korban" not in d.page_content for d in b_chunks)


def test_duplicates_and_bad_files_are_reported_and_good_ones_indexed(
    settings: Settings, tmp_path: Path
) -> None:
    folder = _write(
        tmp_path / "in",
        {
            "a.txt": TEXT_A,
            "copy-of-a.txt": TEXT_A,
            "empty.txt": "",
            "blob.txt": b"\x00\x01\x02binary",
            "notes.pdf": b"%PDF-1.4",
            "feed.jsonl": '{"doc_id": "j1", "text": "Harga cabai naik di Bandung."}\n{oops\n',
        },
    )
    svc = RagService(settings, embeddings=HashEmbeddings())
    report = svc.build_index([folder])
    assert sorted(report.added) == ["a", "j1"]
    assert [d[1] for d in report.duplicates] == ["a"]
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["blob.txt"]
    assert "unsupported" in reasons["notes.pdf"]
    assert any(name.startswith("feed.jsonl:2") for name in reasons)
    assert svc.status().articles == 2


def test_full_rebuild_keeps_one_copy(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A})
    svc.build_index([folder])
    ids = _chunk_ids(svc)
    report = svc.build_index([folder], full=True)
    assert report.updated == ["a"] and len(_chunk_ids(svc)) == len(ids)
    assert len(svc.store.rows()) == len(ids)  # the replaced chunks are deleted, not hidden


def test_progress_counts_articles_and_chunks(settings: Settings, tmp_path: Path) -> None:
    calls: list[IndexProgress] = []
    folder = _write(
        tmp_path / "in", {f"{i}.txt": f"Berita nomor {i} tentang pasar." for i in range(5)}
    )
    svc = RagService(settings, embeddings=HashEmbeddings())  # embed_batch_size: 32
    svc.build_index([folder], progress=calls.append)
    # a small run moves per chunk and article, not once at the end of its one batch
    assert [(p.chunks_done, p.chunks_total) for p in calls] == [(i, 5) for i in range(6)]
    assert [p.articles_done for p in calls] == list(range(6))
    assert {p.articles_total for p in calls} == {5}
    big = _write(tmp_path / "big", {f"{i}.txt": f"Kabar {i} dari kota." for i in range(100)})
    calls.clear()
    svc.build_index([big], progress=calls.append)
    steps = [p.chunks_done for p in calls]
    assert steps[-1] == 100 and len(steps) == 21  # 20 steps of 5 (the 5 earlier stay as they are)


def test_prune_removes_missing_articles_but_keeps_unreadable_ones(
    settings: Settings, tmp_path: Path
) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A, "b.txt": TEXT_B, "c.txt": TEXT_C})
    svc.build_index([folder])
    (folder / "a.txt").unlink()
    (folder / "c.txt").write_bytes(b"\x00\x00binary now")  # present but unreadable
    assert svc.build_index([folder]).removed == []  # without --prune nothing goes
    assert {a.doc_id for a in svc.articles()} == {"a", "b", "c"}
    report = svc.build_index([folder], prune=True)
    assert report.removed == ["a"]
    assert [k[0] for k in report.kept] == ["c"]
    assert {a.doc_id for a in svc.articles()} == {"b", "c"}
    assert all(d.metadata["doc_id"] != "a" for d in svc.store.all_chunks())
    assert len(svc.store.rows()) == svc.store.count()


def test_exact_duplicates_across_runs(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    svc.build_index([_write(tmp_path / "one", {"a.txt": TEXT_A})])
    report = svc.build_index([_write(tmp_path / "two", {"renamed.txt": TEXT_A})])
    assert report.duplicates == [(str(tmp_path / "two" / "renamed.txt"), "a")]
    assert report.added == [] and {a.doc_id for a in svc.articles()} == {"a"}


def test_near_duplicates_are_reported_not_indexed(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    svc.build_index([_write(tmp_path / "one", {"wire.txt": WIRE})])
    # exact Jaccard 0.90 with WIRE (a Liputan6 prefix, doubled by the title, left it at 0.79,
    # which the old MinHash overestimated as 0.89)
    syndicated = (
        "JAKARTA, KOMPAS.com - " + WIRE + " Rapat berikutnya digelar bulan depan."
        "\n\nBaca juga: Harga emas hari ini"
    )
    other = "Tim nasional sepak bola Indonesia menang 2-0 atas Vietnam di Hanoi. " * 3
    report = svc.build_index(
        [_write(tmp_path / "two", {"copy.txt": syndicated, "other.txt": other})]
    )
    assert [(Path(p).name, of) for p, of, _ in report.near_duplicates] == [("copy.txt", "wire")]
    assert report.near_duplicates[0][2] >= 0.8
    assert report.added == ["other"]
    # within one run as well: the first file wins
    fresh = RagService(
        settings.model_copy(update={"index_dir": tmp_path / "fresh"}), embeddings=HashEmbeddings()
    )
    both = fresh.build_index([_write(tmp_path / "three", {"a.txt": WIRE, "b.txt": syndicated})])
    assert both.added == ["a"] and [of for _, of, _ in both.near_duplicates] == ["a"]


def test_same_file_name_in_two_folders_is_two_articles(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    _write(tmp_path / "x", {"berita.txt": TEXT_A})
    _write(tmp_path / "y", {"berita.txt": TEXT_B})
    report = svc.build_index([tmp_path / "x", tmp_path / "y"])
    assert len(report.added) == 2 and not report.duplicates
    assert len(svc.articles()) == 2
    # and later, from the other folder alone: a new article, not an update of the first
    svc2 = RagService(
        settings.model_copy(update={"index_dir": tmp_path / "i2"}), embeddings=HashEmbeddings()
    )
    svc2.build_index([tmp_path / "x"])
    assert svc2.build_index([tmp_path / "y"]).updated == []
    assert len(svc2.articles()) == 2


def test_changed_embedding_model_needs_full(settings: Settings, tmp_path: Path) -> None:
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A})
    old = RagService(settings, embeddings=HashEmbeddings(model_id="fake/one"))
    old.build_index([folder])
    svc = RagService(settings, embeddings=HashEmbeddings(model_id="fake/two"))
    with pytest.raises(EmbeddingMismatch, match="rag index --full"):
        svc.build_index([folder])
    with pytest.raises(IndexEmpty, match="fake/one"):
        svc.answer("banjir di Medan")
    assert old.status().articles == 1  # the old index still answers meanwhile
    assert svc.build_index([folder], full=True).added == ["a"]
    assert svc.status().embedding_model == "fake/two" and svc.status().articles == 1
    names = {c.name for c in svc.store.client.list_collections()}
    assert svc.cross_store is not None
    assert names == {svc.store.name, svc.cross_store.name}  # the old model's are gone


def test_changed_chunking_needs_full(settings: Settings, tmp_path: Path) -> None:
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A})
    RagService(settings, embeddings=HashEmbeddings()).build_index([folder])
    svc = RagService(settings.model_copy(update={"chunk_size": 200}), embeddings=HashEmbeddings())
    with pytest.raises(ConfigError, match="--full"):
        svc.build_index([folder])
    assert svc.build_index([folder], full=True).updated == ["a"]


def test_readers_see_the_old_index_until_the_run_commits(
    settings: Settings, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A, "b.txt": TEXT_B})
    writer = RagService(
        settings.model_copy(update={"embed_batch_size": 1}), embeddings=HashEmbeddings()
    )
    writer.build_index([folder])
    before = {a.doc_id: a.content_hash for a in writer.articles()}
    chunks_before = writer.store.count()
    _write(folder, {"b.txt": TEXT_C, "d.txt": WIRE})
    (folder / "a.txt").unlink()
    seen: list[tuple[dict[str, str], int]] = []

    def look(_: IndexProgress) -> None:  # a second reader, mid-run
        reader = RagService(settings, embeddings=HashEmbeddings())
        seen.append(({a.doc_id: a.content_hash for a in reader.articles()}, reader.store.count()))

    writer.build_index([folder], prune=True, progress=look)
    assert len(seen) >= 3 and all(s == (before, chunks_before) for s in seen)
    after = RagService(settings, embeddings=HashEmbeddings())
    assert {a.doc_id for a in after.articles()} == {"b", "d"}


def test_an_interrupted_run_is_invisible_and_the_next_one_reuses_its_work(
    settings: Settings, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A})
    svc = RagService(
        settings.model_copy(update={"embed_batch_size": 1}), embeddings=HashEmbeddings()
    )
    svc.build_index([folder])
    _write(folder, {f"n{i}.txt": f"Berita baru nomor {i} tentang harga beras." for i in range(6)})

    def crash(p: IndexProgress) -> None:
        if p.chunks_done == 3:
            raise KeyboardInterrupt  # as if killed after 3 chunks were written

    with pytest.raises(KeyboardInterrupt):
        svc.build_index([folder], progress=crash)
    reader = RagService(settings, embeddings=HashEmbeddings())
    assert {a.doc_id for a in reader.articles()} == {"a"} and reader.store.count() == 1
    assert len(svc.store.rows()) == 4  # 3 uncommitted chunks wait in the store

    report = svc.build_index([folder])
    assert report.reused == 3 and sorted(report.added) == [f"n{i}" for i in range(6)]
    assert len(svc.store.rows()) == svc.store.count() == 7  # one copy of each, all committed
    ids = [(d.metadata["doc_id"], d.metadata["chunk_index"]) for d in svc.store.all_chunks()]
    assert len(ids) == len(set(ids))


def test_one_indexing_run_at_a_time(settings: Settings, tmp_path: Path) -> None:
    from rag.ingest import writer_lock

    svc = RagService(settings, embeddings=HashEmbeddings())
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A})
    with writer_lock(settings), pytest.raises(RagError, match="another `rag index`"):
        svc.build_index([folder])
    assert svc.build_index([folder]).added == ["a"]  # the lock is released


def test_an_index_from_the_older_format_is_replaced(settings: Settings, tmp_path: Path) -> None:
    from rag.catalog import make_client

    client = make_client(settings)
    legacy = client.create_collection("articles", embedding_function=None)
    legacy.add(ids=["x::0"], embeddings=[[0.1] * 64], metadatas=[{"doc_id": "x"}])
    svc = RagService(settings, embeddings=HashEmbeddings())
    with pytest.raises(IndexEmpty, match="older version"):
        svc.answer("banjir")
    svc.build_index([_write(tmp_path / "in", {"a.txt": TEXT_A})])
    assert "articles" not in {c.name for c in svc.store.client.list_collections()}


def test_cross_lingual_index_mirrors_the_main_one(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings)  # real e5 + real USE cross-lingual index
    assert svc.cross_store is not None
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A, "b.txt": TEXT_B})
    svc.build_index([folder])
    assert _ids(svc.cross_store) == _chunk_ids(svc)
    (folder / "b.txt").write_text(TEXT_B.replace("Padang", "Bukittinggi"), encoding="utf-8")
    (folder / "a.txt").unlink()
    svc.build_index([folder], prune=True)
    assert _ids(svc.cross_store) == _chunk_ids(svc)
    assert all(d.metadata["doc_id"] == "b" for d in svc.cross_store.all_chunks())
    assert svc.cross_store.committed == svc.store.committed


def test_cross_index_is_backfilled_for_an_older_index(settings: Settings, tmp_path: Path) -> None:
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A, "b.txt": TEXT_B})
    old = RagService(settings.model_copy(update={"cross_lingual": "none"}))
    old.build_index([folder])
    assert old.cross_store is None
    svc = RagService(settings)
    assert svc.cross_store is not None and svc.cross_store.count() == 0
    report = svc.build_index([folder])
    assert report.unchanged == ["a", "b"]  # nothing re-embedded by the main model
    assert _ids(svc.cross_store) == _chunk_ids(svc)
    assert svc.cross_store.committed == svc.store.committed


def test_killed_between_commit_and_cleanup(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the commit, readers see the new run even if removing replaced chunks never
    happened; the next run removes them."""
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A, "b.txt": TEXT_B})
    svc = RagService(settings, embeddings=HashEmbeddings())
    svc.build_index([folder])
    _write(folder, {"b.txt": TEXT_C})
    real_delete = VectorStore.delete_ids

    def dies_after_commit(self: VectorStore, ids: list[str]) -> None:
        if ids and self.meta()["committed"] == 2:
            raise KeyboardInterrupt
        real_delete(self, ids)

    monkeypatch.setattr(VectorStore, "delete_ids", dies_after_commit)
    with pytest.raises(KeyboardInterrupt):
        svc.build_index([folder])
    monkeypatch.setattr(VectorStore, "delete_ids", real_delete)
    reader = RagService(settings, embeddings=HashEmbeddings())
    assert {a.doc_id for a in reader.articles()} == {"a", "b"}
    assert "Harga cabai" in " ".join(d.page_content for d in reader.store.all_chunks())
    assert "Gempa" not in " ".join(d.page_content for d in reader.store.all_chunks())
    assert len(svc.store.rows()) > reader.store.count()  # the replaced chunk is still there
    again = svc.build_index([folder])
    assert sorted(again.unchanged) == ["a", "b"]
    _chunk_ids(svc)  # and now no other rows remain


# --- the indexer alone, over its protocols (index imports nothing from rag) ---------------


@dataclass(frozen=True)
class _Doc:
    doc_id: str
    title: str
    text: str
    path: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


def _match(meta: dict[str, Any], where: dict[str, Any] | None) -> bool:
    """Chroma's `where` filters, as far as the indexer uses them."""
    if not where:
        return True
    if "$and" in where:
        return all(_match(meta, w) for w in where["$and"])
    ((key, cond),) = where.items()
    if not isinstance(cond, dict):
        return bool(meta.get(key) == cond)
    ((op, value),) = cond.items()
    ops = {"$gt": operator.gt, "$lt": operator.lt, "$lte": operator.le}
    return meta.get(key) in value if op == "$in" else bool(ops[op](meta[key], value))


class _MemoryStore:
    """An in-memory ChunkStore: rows and collection metadata in dicts."""

    def __init__(self) -> None:
        self.embeddings = HashEmbeddings()
        self.data: dict[str, tuple[str, dict[str, Any]]] = {}
        self._meta: dict[str, Any] = {"committed": 0}

    @property
    def committed(self) -> int:
        return int(self._meta["committed"])

    def refresh(self) -> bool:
        return False

    def meta(self) -> dict[str, Any]:
        return dict(self._meta)

    def set_meta(self, **values: Any) -> None:
        self._meta.update(values)

    def articles(self) -> dict[str, IndexedArticle]:
        out = {}
        for _, (_, m) in sorted(self.data.items()):
            if _match(m, live(self.committed)) and m["chunk_index"] == 0:
                out[m["doc_id"]] = IndexedArticle(
                    m["doc_id"], "", "", "", m["path"], m["content_hash"], m["chunks"],
                    m["signature"],
                )  # fmt: skip
        return out

    def rows(self, where: dict[str, Any] | None = None, documents: bool = False) -> list[Row]:
        return [
            (i, text if documents else None, dict(m))
            for i, (text, m) in self.data.items()
            if _match(m, where)
        ]

    def write(self, docs: Sequence[Document], vectors: np.ndarray, gen: int) -> None:
        for d in docs:
            self.data[str(d.id)] = (d.page_content, {**d.metadata, "gen": gen, "gone": NEVER})

    def mark_gone(self, ids: Sequence[str], gen: int) -> None:
        for i in ids:
            self.data[i][1]["gone"] = gen

    def delete_ids(self, ids: Sequence[str]) -> None:
        for i in ids:
            self.data.pop(i, None)


def _halves(a: _Doc) -> list[Document]:
    """A chunker: the text in two halves, with the metadata the indexer needs."""
    cut = len(a.text) // 2
    chunks = []
    for n, (s, e) in enumerate([(0, cut), (cut, len(a.text))]):
        meta = {"doc_id": a.doc_id, "path": a.path, "content_hash": a.content_hash}
        meta |= {"chunk_index": n, "char_start": s, "char_end": e}
        chunks.append(Document(page_content=a.text[s:e], metadata=meta))
    return chunks


def test_the_indexer_runs_on_its_protocols_alone() -> None:
    store = _MemoryStore()
    run = partial(
        index_articles, store=store, chunk=_halves, chunking="halves", batch_size=2,
        near_threshold=0.8, skip_near=True,
    )  # fmt: skip
    a, b = _Doc("a", "A", TEXT_A, "in/a.txt"), _Doc("b", "B", TEXT_B, "in/b.txt")
    first = run([a, b], [])
    assert sorted(first.added) == ["a", "b"] and first.chunks == 4 and store.committed == 1
    assert store.meta()["chunking"] == "halves"
    b2 = _Doc("b", "B", TEXT_C, "in/b.txt")
    second = run([a, b2], [], prune=True)
    assert (second.unchanged, second.updated, second.chunks) == (["a"], ["b"], 2)
    assert len(store.data) == 4  # the replaced chunks are gone, nothing duplicated
    assert {m["gen"] for _, m in store.data.values()} == {1, 2}
    third = run([b2], [], prune=True)
    assert third.removed == ["a"] and sorted(store.articles()) == ["b"]
