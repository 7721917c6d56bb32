from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document

from rag.config import Settings
from rag.retrieve import BM25Index, HybridRetriever, _minmax, fuse, fuse_many
from rag.service import RagService, make_retriever
from rag.store import VectorStore
from tests.helpers import HashEmbeddings


def test_minmax_bounds_and_ties() -> None:
    assert _minmax({"a": 2.0, "b": 4.0, "c": 3.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert _minmax({"a": 0.7, "b": 0.7}) == {"a": 1.0, "b": 1.0}  # all tied and positive
    assert _minmax({"a": 0.0}) == {"a": 0.0}
    assert _minmax({}) == {}


def test_fuse_weighted_sum_by_hand() -> None:
    dense = {"a": 0.9, "b": 0.8, "c": 0.7}  # -> a 1.0, b 0.5, c 0.0
    bm25 = {"c": 10.0, "d": 5.0, "b": 0.0}  # -> c 1.0, d 0.5, b 0.0
    got = dict(fuse(dense, bm25, dense_weight=0.8))
    assert got == pytest.approx({"a": 0.8, "b": 0.4, "c": 0.2, "d": 0.1})
    assert [cid for cid, _ in fuse(dense, bm25, 0.8)] == ["a", "b", "c", "d"]
    # weight 1.0 is dense order; weight 0.0 is BM25 order
    assert [cid for cid, _ in fuse(dense, bm25, 1.0)][:3] == ["a", "b", "c"]
    assert [cid for cid, _ in fuse(dense, bm25, 0.0)][:2] == ["c", "d"]


def test_fuse_breaks_ties_by_id_and_handles_empty_lists() -> None:
    assert fuse({"b": 1.0, "a": 1.0}, {}, 0.5) == [("a", 0.5), ("b", 0.5)]
    assert fuse({}, {}, 0.8) == []


def _service(
    settings: Settings, texts: dict[str, str], cross: VectorStore | None = None
) -> RagService:
    svc = RagService(settings, embeddings=HashEmbeddings(), cross_store=cross)
    folder = settings.index_dir.parent / "articles"
    folder.mkdir()
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    svc.build_index([folder])
    return svc


def test_bm25_index_refreshes_when_chunks_change(settings: Settings) -> None:
    svc = _service(settings, {"a": "Banjir melanda kota Medan kemarin."})
    bm25 = BM25Index(svc.store)
    assert bm25.scores("gempa").max() == 0.0
    folder = settings.index_dir.parent / "articles"
    (folder / "b.txt").write_text("Gempa mengguncang Padang pagi ini.", encoding="utf-8")
    svc.build_index([folder])
    scores = bm25.scores("gempa Padang")
    assert len(bm25.docs) == 2 and scores.max() > 0
    assert bm25.docs[int(scores.argmax())].metadata["doc_id"] == "b"


def test_modes_and_score_metadata(settings: Settings) -> None:
    svc = _service(
        settings,
        {
            "banjir": "Banjir besar melanda kota Medan. Ribuan warga mengungsi.",
            "pemilu": "Komisi pemilihan umum menetapkan jadwal pemilu 2024.",
            "chip": "Pabrik chip baru dibangun di Batam untuk produksi semikonduktor.",
        },
    )
    for mode in ("dense", "bm25", "hybrid"):
        r = make_retriever(settings.model_copy(update={"retriever": mode, "top_k": 2}), svc.store)
        docs = r.invoke("jadwal pemilu 2024")
        assert docs and docs[0].metadata["doc_id"] == "pemilu", mode
        assert isinstance(docs[0], Document) and "score" in docs[0].metadata
        assert len(docs) <= 2


def test_english_questions_fall_back_to_dense_order(seed_service: RagService) -> None:
    r, base = seed_service.retriever, seed_service.settings
    hybrid = make_retriever(
        base.model_copy(update={"dense_weight": 0.5, "dense_weight_en": 1.0}), r.store, bm25=r.bm25
    )
    dense = make_retriever(base.model_copy(update={"retriever": "dense"}), r.store, bm25=r.bm25)
    q = "which companies stopped selling their devices to Russia?"
    assert [h.doc.id for h in hybrid.search(q)] == [h.doc.id for h in dense.search(q)]


@pytest.mark.parametrize(
    "question",
    ["what chip limits apply to China?", "Apa batasan produksi chip yang berlaku untuk China?"],
)
def test_chip_question_retrieves_the_chip_chunk_first(
    seed_service: RagService, question: str
) -> None:
    top = seed_service.retriever.invoke(question)[0]
    assert "14nm" in top.page_content and "DRAM 18nm" in top.page_content


def test_fuse_many_by_hand() -> None:
    e5 = {"a": 0.9, "b": 0.7}  # -> a 1, b 0
    use = {"b": 0.6, "c": 0.4}  # -> b 1, c 0
    bm25 = {"c": 3.0, "a": 1.0}  # -> c 1, a 0
    got = dict(fuse_many([(e5, 0.36), (use, 0.54), (bm25, 0.1)]))
    assert got == pytest.approx({"a": 0.36, "b": 0.54, "c": 0.1})
    assert fuse_many([]) == []
    # two signals reproduce fuse()
    many, two = fuse_many([(e5, 0.7), (use, 0.3)]), fuse(e5, use, 0.7)
    assert [c for c, _ in many] == [c for c, _ in two]
    assert [v for _, v in many] == pytest.approx([v for _, v in two])


def _with_cross(settings: Settings) -> tuple[RagService, HybridRetriever]:
    from rag.catalog import open_store

    svc = _service(
        settings,
        {
            "banjir": "Banjir besar melanda kota Medan. Ribuan warga mengungsi.",
            "chip": "Pabrik chip baru dibangun di Batam untuk produksi semikonduktor.",
        },
        cross=open_store(settings, HashEmbeddings(model_id="fake/cross"), of=HashEmbeddings()),
    )
    r = make_retriever(
        settings.model_copy(update={"cross_weight": 0.6}), svc.store, svc.cross_store
    )
    return svc, r


def test_cross_index_is_used_for_english_questions_only(settings: Settings) -> None:
    _, r = _with_cross(settings)
    signals, _ = r.candidates("where is the new chip factory being built?")
    assert set(signals) == {"dense", "cross", "bm25"}
    # every candidate has an exact score from every signal
    assert set(signals["dense"]) == set(signals["cross"]) == set(signals["bm25"])
    signals, _ = r.candidates("Di mana pabrik chip baru dibangun?")
    assert "cross" not in signals
    q = "where is the new chip factory being built?"
    signals, _ = r.candidates(q)
    w = r.dense_weight_en
    expected = fuse_many(
        [(signals["dense"], w * 0.4), (signals["cross"], w * 0.6), (signals["bm25"], 1 - w)]
    )
    assert r.rank(q, signals) == expected


def test_incomplete_cross_index_is_ignored(settings: Settings, tmp_path: Path) -> None:
    svc, r = _with_cross(settings)
    assert r.cross_store is not None
    # a run without the cross index: it no longer holds every committed chunk
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "pasar.txt").write_text("Harga beras naik di pasar Cipinang.")
    RagService(settings, embeddings=HashEmbeddings(), store=svc.store).build_index(
        [tmp_path / "more"]
    )
    signals, _ = r.candidates("where is the new chip factory being built?")
    assert "cross" not in signals and "dense" in signals
