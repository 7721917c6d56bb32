from __future__ import annotations

from pathlib import Path

from rag.config import Settings
from rag.service import RagService
from tests.conftest import HashEmbeddings

TEXT_A = "Jakarta - Banjir melanda kota Medan. Ribuan warga mengungsi ke masjid.\n(abc/def)"
TEXT_B = "Gempa berkekuatan 5,2 mengguncang Padang. Tidak ada korban jiwa."


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
    return sorted(str(d.id) for d in svc.store.all_chunks())


def test_incremental_add_unchanged_update(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A, "b.txt": TEXT_B})
    first = svc.build_index([folder])
    assert sorted(first.added) == ["a", "b"] and first.chunks >= 2
    ids = _chunk_ids(svc)

    again = svc.build_index([folder])
    assert sorted(again.unchanged) == ["a", "b"] and again.chunks == 0
    assert _chunk_ids(svc) == ids  # nothing duplicated

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
    assert report.added == ["a"] and _chunk_ids(svc) == ids


def test_progress_is_reported(settings: Settings, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    folder = _write(
        tmp_path / "in", {f"{i}.txt": f"Berita nomor {i} tentang pasar." for i in range(5)}
    )
    svc = RagService(
        settings.model_copy(update={"embed_batch_size": 2}), embeddings=HashEmbeddings()
    )
    svc.build_index([folder], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_changed_embedding_model_needs_full(settings: Settings, tmp_path: Path) -> None:
    import pytest

    from rag.errors import EmbeddingMismatch

    folder = _write(tmp_path / "in", {"a.txt": TEXT_A})
    RagService(settings, embeddings=HashEmbeddings(model_id="fake/one")).build_index([folder])
    with pytest.raises(EmbeddingMismatch):
        RagService(settings, embeddings=HashEmbeddings(model_id="fake/two"))
    svc = RagService(settings, embeddings=HashEmbeddings(model_id="fake/two"), replace_index=True)
    assert svc.build_index([folder], full=True).added == ["a"]
    assert svc.status().embedding_model == "fake/two"


def test_cross_lingual_index_mirrors_the_main_one(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings)  # real e5 + real USE cross-lingual index
    assert svc.cross_store is not None
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A, "b.txt": TEXT_B})
    svc.build_index([folder])
    assert sorted(svc.cross_store.ids()) == _chunk_ids(svc)
    (folder / "b.txt").write_text(TEXT_B.replace("Padang", "Bukittinggi"), encoding="utf-8")
    (folder / "a.txt").unlink()
    svc.build_index([folder], full=True)
    assert sorted(svc.cross_store.ids()) == _chunk_ids(svc)
    assert all(d.metadata["doc_id"] == "b" for d in svc.cross_store.all_chunks())


def test_cross_index_is_backfilled_for_an_older_index(settings: Settings, tmp_path: Path) -> None:
    folder = _write(tmp_path / "in", {"a.txt": TEXT_A, "b.txt": TEXT_B})
    old = RagService(settings.model_copy(update={"cross_lingual": "none"}))
    old.build_index([folder])
    assert old.cross_store is None
    svc = RagService(settings)
    assert svc.cross_store is not None and svc.cross_store.count() == 0
    report = svc.build_index([folder])
    assert report.unchanged == ["a", "b"]  # nothing re-embedded by the main model
    assert sorted(svc.cross_store.ids()) == _chunk_ids(svc)
