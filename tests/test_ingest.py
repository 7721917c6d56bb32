"""Ingest: an article is replaced only from the source it came from; clashes are reported."""

from __future__ import annotations

import json
from pathlib import Path

from rag.config import Settings
from rag.service import RagService
from tests.helpers import HashEmbeddings

BANJIR = "Banjir melanda kota Medan. Ribuan warga mengungsi ke masjid terdekat."
GEMPA = "Gempa mengguncang Padang pagi ini. Tidak ada korban jiwa."


def _jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _texts(svc: RagService) -> dict[str, str]:
    return {str(d.metadata["doc_id"]): d.page_content for d in svc.store.all_chunks()}


def test_a_record_cannot_take_the_id_of_an_article_from_another_file(
    settings: Settings, tmp_path: Path
) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    first = _jsonl(tmp_path / "a.jsonl", [{"doc_id": "berita-1", "text": BANJIR}])
    svc.build_index([first])
    other = _jsonl(tmp_path / "b.jsonl", [{"doc_id": "berita-1", "text": GEMPA}])
    report = svc.build_index([other])
    assert report.updated == [] and report.added == []
    (skip,) = report.skipped
    assert skip.path == f"{other}:1" and f"already used by {first}:1" in skip.reason
    assert _texts(svc) == {"berita-1": BANJIR}  # the chat still answers from the first
    edited = _jsonl(first, [{"doc_id": "berita-1", "text": BANJIR + " Air mulai surut."}])
    assert svc.build_index([edited]).updated == ["berita-1"]  # its own file may replace it


def test_two_files_with_one_name_get_distinct_ids(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    for folder, text in (("a", BANJIR), ("b", GEMPA)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "berita.txt").write_text(text, encoding="utf-8")
    svc.build_index([tmp_path / "a"])
    (tmp_path / "a" / "berita.txt").unlink()  # even when the first file is gone
    report = svc.build_index([tmp_path / "b"])
    (new_id,) = report.added
    assert new_id.startswith("berita-") and report.updated == []
    assert _texts(svc) == {"berita": BANJIR, new_id: GEMPA}


def test_a_distinct_id_is_kept_once_the_first_file_is_gone(
    settings: Settings, tmp_path: Path
) -> None:
    """Folder b replaces folder a (--prune): b's file got a distinct id while a's held the
    plain one, and keeps it in every later run instead of being re-keyed and re-embedded."""
    svc = RagService(settings, embeddings=HashEmbeddings())
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "berita.txt").write_text(BANJIR, encoding="utf-8")
    svc.build_index([tmp_path / "a"])
    moved = svc.build_index([tmp_path / "b"], prune=True)
    (new_id,) = moved.added
    assert new_id.startswith("berita-") and moved.removed == ["berita"]
    again = svc.build_index([tmp_path / "b"], prune=True)
    assert (again.added, again.removed, again.unchanged) == ([], [], [new_id])
    assert again.chunks == 0 and _texts(svc) == {new_id: BANJIR}
    (tmp_path / "b" / "berita.txt").write_text(GEMPA, encoding="utf-8")
    assert svc.build_index([tmp_path / "b"], prune=True).updated == [new_id]


def test_same_upload_name_twice_in_a_batch_keeps_both(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    uploads = []
    for n, text in enumerate((BANJIR, GEMPA)):
        f = tmp_path / f"up{n}" / "berita.txt"
        f.parent.mkdir()
        f.write_text(text, encoding="utf-8")
        uploads.append(f)
    report = svc.add_files(uploads)
    assert sorted(report.added) == ["berita", "berita-2"]
    library = settings.index_dir / "library"
    assert sorted(p.name for p in library.iterdir() if p.is_file()) == [
        "berita-2.txt",
        "berita.txt",
    ]


def test_a_paste_never_overwrites_an_upload(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    upload = tmp_path / "banjir-medan.txt"
    upload.write_text(BANJIR, encoding="utf-8")
    svc.add_files([upload])
    report = svc.add_text("Banjir Medan", GEMPA)  # its slug is the upload's name
    (pasted,) = report.added
    assert pasted != "banjir-medan" and report.updated == []
    assert (settings.index_dir / "library" / "banjir-medan.txt").read_text("utf-8") == BANJIR
    assert _texts(svc)["banjir-medan"] == BANJIR


def test_skipped_uploads_are_not_kept(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    good = tmp_path / "berita.txt"
    good.write_text(BANJIR, encoding="utf-8")
    svc.add_files([good])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "kosong.txt").write_text("  \n", encoding="utf-8")
    (bad / "gambar.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (bad / "berita.txt").write_bytes(b"PK\x03\x04 a zip, not the article")  # over a good one
    report = svc.add_files(sorted(bad.iterdir()))
    assert len(report.skipped) == 3 and report.added == report.updated == []
    library = settings.index_dir / "library"
    assert sorted(p.name for p in library.iterdir()) == ["berita.txt"]
    assert (library / "berita.txt").read_text("utf-8") == BANJIR  # the good copy is back
    assert _texts(svc) == {"berita": BANJIR}


def test_an_overlong_article_is_skipped_with_the_limit(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings.model_copy(update={"max_article_chars": 5_000}), HashEmbeddings())
    news = tmp_path / "news"
    news.mkdir()
    (news / "panjang.txt").write_text("Banjir melanda Medan. " * 1_000, encoding="utf-8")
    (news / "pendek.txt").write_text(BANJIR, encoding="utf-8")
    report = svc.build_index([news])
    assert report.added == ["pendek"]
    (skip,) = report.skipped
    assert skip.reason == "too long (21,999 characters; max_article_chars is 5,000)"
