"""Chunks: Indonesian-aware sentence splitting and sentence-packed chunks with exact offsets."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import pytest
from langchain_core.documents import Document

from rag.articles import Article, Rules, load_articles
from rag.chunks import chunk_article, split_sentences

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_d13655306499247b.txt"
META_KEYS = {
    "doc_id",
    "title",
    "published",
    "source",
    "path",
    "url",
    "author",
    "language",
    "chunk_index",
    "char_start",
    "char_end",
    "content_hash",
}


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def make_article(text: str, doc_id: str = "doc") -> Article:
    return Article(doc_id=doc_id, title="Judul", text=text, source="uji", published=None, path="x")


def spans_in(doc: Document, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentence spans that lie inside a chunk."""
    lo, hi = doc.metadata["char_start"], doc.metadata["char_end"]
    return [s for s in spans if lo <= s[0] and s[1] <= hi]


@pytest.fixture(scope="module")
def seed() -> Article:
    articles, skipped = load_articles([SEED], Rules.load())
    assert not skipped and len(articles) == 1
    return articles[0]


# --- sentences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parts",
    [
        ["Dr. Ani Wijaya tiba di Jakarta.", "Prof. Budi menyambutnya."],
        ["Kantornya di Jl. Sudirman No. 5 Jakarta.", "Gedungnya tinggi."],
        ["H. Agus Salim hadir.", "Hj. Siti juga datang."],
        ["Harganya Rp. 5.000 per kilogram.", "Pembeli antre."],
        ["Presiden B. J. Habibie lahir di Parepare.", "Ia seorang insinyur."],
        ["Inflasi naik 3.5 persen.", "Harga beras ikut naik."],
        ['"Ini luar biasa!" katanya.', "Lalu ia pergi."],
        ["Mereka menjual IBM, Nvidia, Intel, dll.", "Semua perusahaan itu besar."],
        ["Apa itu?", "Tidak ada yang tahu!", "Tunggu...", "Dia datang."],
    ],
)
def test_sentence_boundaries(parts: list[str]) -> None:
    assert sentences(" ".join(parts)) == parts


def test_dll_mid_sentence_does_not_split() -> None:
    text = "Buah seperti apel, jeruk, dll. dijual murah. Pembeli senang."
    assert sentences(text) == ["Buah seperti apel, jeruk, dll. dijual murah.", "Pembeli senang."]


def test_newlines_always_split() -> None:
    text = "Judul tanpa titik\nBaris kedua juga\n\n  Paragraf baru. Kalimat lain."
    assert sentences(text) == [
        "Judul tanpa titik",
        "Baris kedua juga",
        "Paragraf baru.",
        "Kalimat lain.",
    ]


def test_spans_are_trimmed_ordered_and_disjoint() -> None:
    text = "  Satu.   Dua!\n\n Tiga?  "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["Satu.", "Dua!", "Tiga?"]
    assert all(a < b <= c for (a, b), (c, _) in pairwise(spans))


def test_empty_and_blank_text_have_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n \t") == []


# --- chunks -------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [100, 250, 500, 1000, 4000])
@pytest.mark.parametrize("overlap", [0, 1, 2])
def test_seed_offsets_invariant(seed: Article, chunk_size: int, overlap: int) -> None:
    docs = chunk_article(seed, chunk_size, overlap)
    assert docs
    for n, doc in enumerate(docs):
        meta = doc.metadata
        assert set(meta) == META_KEYS
        assert doc.page_content == seed.text[meta["char_start"] : meta["char_end"]]
        assert meta["chunk_index"] == n and doc.id == f"{seed.doc_id}::{n}"
        assert meta["doc_id"] == seed.doc_id and meta["content_hash"] == seed.content_hash
        assert (meta["published"], meta["source"]) == (seed.published, seed.source)
    starts = [d.metadata["char_start"] for d in docs]
    assert starts == sorted(set(starts))  # chunks advance through the text


@pytest.mark.parametrize("chunk_size", [100, 300, 700])
def test_every_sentence_is_in_some_chunk(seed: Article, chunk_size: int) -> None:
    spans = split_sentences(seed.text)
    docs = chunk_article(seed, chunk_size, overlap=1)
    covered = {s for d in docs for s in spans_in(d, spans)}
    assert covered == set(spans)


def test_chunks_respect_size_unless_one_sentence_is_longer(seed: Article) -> None:
    spans = split_sentences(seed.text)
    for doc in chunk_article(seed, chunk_size=300, overlap=1):
        inside = spans_in(doc, spans)
        assert len(doc.page_content) <= 300 or len(inside) == 1


def test_whole_article_fits_in_one_chunk(seed: Article) -> None:
    docs = chunk_article(seed, chunk_size=len(seed.text), overlap=1)
    assert len(docs) == 1 and docs[0].page_content == seed.text


@pytest.mark.parametrize("overlap", [0, 1, 2])
def test_consecutive_chunks_share_exactly_overlap_sentences(overlap: int) -> None:
    text = " ".join(f"Kalimat pendek nomor {i:02d} ada di sini." for i in range(30))
    spans = split_sentences(text)
    assert len(spans) == 30
    docs = chunk_article(make_article(text), chunk_size=200, overlap=overlap)
    assert len(docs) > 2
    for prev, nxt in pairwise(docs):
        shared = set(spans_in(prev, spans)) & set(spans_in(nxt, spans))
        assert len(shared) == overlap


def test_sentence_longer_than_chunk_size_is_one_chunk() -> None:
    long = "Kalimat ini " + "sangat " * 60 + "panjang."
    text = f"Pembuka singkat. {long} Penutup singkat."
    docs = chunk_article(make_article(text), chunk_size=100, overlap=0)
    assert [d.page_content for d in docs] == ["Pembuka singkat.", long, "Penutup singkat."]


def test_each_chunk_adds_a_new_sentence() -> None:
    short, mid, last = "Awal. ", "Tengah " * 50 + "berita. ", "Akhir " * 45 + "berita."
    text = short + mid + last  # short+mid fit in 500; mid+last do not
    spans = split_sentences(text)
    assert len(spans) == 3
    docs = chunk_article(make_article(text), chunk_size=500, overlap=1)
    seen: set[tuple[int, int]] = set()
    for doc in docs:
        inside = set(spans_in(doc, spans))
        assert inside - seen, f"chunk {doc.metadata['chunk_index']} repeats earlier sentences"
        seen |= inside


def test_chunk_metadata_defaults_for_missing_fields() -> None:
    docs = chunk_article(make_article("Satu kalimat saja."), chunk_size=500)
    assert len(docs) == 1
    assert docs[0].metadata["published"] == "" and docs[0].metadata["url"] == ""


def _one_paragraph(chars: int) -> str:
    unit = "Harga beras naik menjadi Rp. 14.000 menurut Dr. Budi dan H. Amir di Jl. Merdeka. "
    return (unit * (chars // len(unit) + 1))[:chars]


def test_splitting_is_linear_in_paragraph_length() -> None:
    def best_of_3(text: str) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            split_sentences(text)
            times.append(time.perf_counter() - t0)
        return min(times)

    small, large = _one_paragraph(50_000), _one_paragraph(400_000)
    ratio = best_of_3(large) / best_of_3(small)
    # 8x the text: about 8x the time when linear, 64x when quadratic (it was: 200 KB took 7.7 s)
    assert ratio < 24, f"8x longer paragraph took {ratio:.0f}x as long"


def test_a_sentence_without_end_is_cut_into_bounded_chunks() -> None:
    text = "kata " * 20_000  # 100 KB, not one full stop
    docs = chunk_article(make_article(text), chunk_size=500, overlap=0)
    assert max(len(d.page_content) for d in docs) <= 8 * 500
    for d in docs:  # still exact slices of the text, cut at spaces
        start, end = d.metadata["char_start"], d.metadata["char_end"]
        assert text[start:end] == d.page_content and not d.page_content.startswith(" ")


def test_the_content_hash_is_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.articles

    calls = []
    real = rag.articles.hashlib.sha256
    monkeypatch.setattr(rag.articles.hashlib, "sha256", lambda b: calls.append(1) or real(b))
    docs = chunk_article(make_article(_one_paragraph(20_000)), chunk_size=200)
    assert len(docs) > 50 and len(calls) == 1
