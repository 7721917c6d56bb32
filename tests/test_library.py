"""The library folder: uploads and pasted articles, kept and indexed; deletes remove both."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import RagError
from rag.service import RagService
from tests.helpers import HashEmbeddings

TEXT = "Jakarta - Banjir melanda kota Medan. Ribuan warga mengungsi ke masjid terdekat."


def test_uploads_are_copied_then_indexed(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    upload = tmp_path / "uploads" / "banjir-medan.txt"
    upload.parent.mkdir()
    upload.write_text(TEXT, encoding="utf-8")
    report = svc.add_files([upload])
    kept = settings.index_dir / "library" / "banjir-medan.txt"
    assert report.added == ["banjir-medan"] and kept.read_text(encoding="utf-8") == TEXT
    assert svc.add_files([kept]).unchanged == ["banjir-medan"]  # already there: not copied


def test_pasted_text_becomes_a_titled_article(settings: Settings) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    report = svc.add_text("  Banjir   di Medan ", TEXT)
    assert report.added == ["banjir-di-medan"]
    (article,) = svc.articles()
    assert article.title == "Banjir di Medan"
    untitled = svc.add_text("", "Gempa mengguncang Padang pagi ini. Tidak ada korban.")
    assert untitled.added[0].startswith("pasted-")
    with pytest.raises(RagError, match="empty"):
        svc.add_text("Judul", "   \n ")


def test_delete_removes_the_library_copy_only(settings: Settings, tmp_path: Path) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    svc.add_text("Banjir di Medan", TEXT)
    outside = tmp_path / "news"
    outside.mkdir()
    (outside / "gempa.txt").write_text("Gempa mengguncang Padang pagi ini.", encoding="utf-8")
    svc.build_index([outside])
    report = svc.delete_articles(["banjir-di-medan", "gempa", "no-such-id"])
    assert sorted(report.removed) == ["banjir-di-medan", "gempa"]
    assert not (settings.index_dir / "library" / "banjir-di-medan.txt").exists()
    assert (outside / "gempa.txt").exists()  # a file the library did not add stays
    assert svc.articles() == []
