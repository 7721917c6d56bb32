"""BM25 through bm25s: scores, the file saved beside the index, incremental updates."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from math import log
from pathlib import Path

import numpy as np
import pytest

from rag import bm25, text
from rag.articles import Article
from rag.catalog import open_store
from rag.chunks import chunk_article
from rag.config import Settings
from rag.retrieve import BM25Index
from rag.service import RagService
from rag.store import VectorStore
from rag.text import Stemmer, keyword_tokens
from tests.helpers import SEEDS, HashEmbeddings

TEXTS = {
    "banjir": "Banjir besar melanda kota Medan. Ribuan warga mengungsi ke masjid dan sekolah.",
    "pemilu": "Komisi pemilihan umum menetapkan jadwal pemilu 2024. Jadwal pemilu diumumkan.",
    "chip": "Pabrik chip baru dibangun di Batam untuk produksi semikonduktor dan chip memori.",
    "en": "The central bank kept interest rates unchanged; the rates stay at six percent.",
}
QUERIES = [
    "Apa batasan produksi chip yang berlaku untuk China?",
    "jadwal pemilu 2024",
    "banjir Medan warga",
    "interest rates",
    "kata yang tidak ada xyzzy",
]


def reference(corpus: list[list[str]], query: list[str], k1: float = 1.2, b: float = 0.75):
    """Okapi BM25 with Lucene's IDF, written out term by term."""
    n = len(corpus)
    avgdl = sum(len(d) for d in corpus) / n
    out = []
    for doc in corpus:
        score = 0.0
        for term in query:
            df = sum(term in d for d in corpus)
            if df == 0:
                continue
            idf = log(1 + (n - df + 0.5) / (df + 0.5))
            tf = doc.count(term)
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / avgdl))
        out.append(score)
    return out


def _corpus(docs: dict[str, list[str]]) -> bm25.TokenCorpus:
    return bm25.TokenCorpus.empty().update(list(docs), docs)


def test_okapi_by_hand() -> None:
    okapi = bm25.Okapi.build(_corpus({"a": ["chip", "china"], "b": ["chip"], "c": ["rusia"] * 2}))
    avgdl = 5 / 3
    idf_chip = log(1 + (3 - 2 + 0.5) / (2 + 0.5))  # in 2 of 3 docs: still positive
    idf_rusia = log(1 + (3 - 1 + 0.5) / (1 + 0.5))

    def term(idf: float, tf: int, dl: int) -> float:
        return idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))

    got = okapi.scores(["chip", "rusia", "unknown"])
    expected = [term(idf_chip, 1, 2), term(idf_chip, 1, 1), term(idf_rusia, 2, 2)]
    assert got == pytest.approx(expected, abs=1e-12)
    assert okapi.scores(["unknown"]).tolist() == [0.0, 0.0, 0.0]
    assert bm25.Okapi.build(bm25.TokenCorpus.empty()).scores(["x"]).shape == (0,)
    no_words = bm25.Okapi.build(_corpus({"a": [], "b": []}))
    assert no_words.scores(["x"]).tolist() == [0.0, 0.0]


def test_scores_match_the_formula_on_real_chunks(seed_article: Article, tmp_path: Path) -> None:
    """The seed article's chunks and a few texts, stemmed as in production: bm25s's scores
    equal the textbook formula (as did the scipy implementation it replaced)."""
    stem = Stemmer()
    chunks = [c.page_content for c in chunk_article(seed_article)] + list(TEXTS.values())
    docs = {f"c{i}": keyword_tokens(t, stem) for i, t in enumerate(chunks)}
    corpus = _corpus(docs)
    okapi = bm25.Okapi.build(corpus)
    path = tmp_path / "saved.npz"
    bm25.save(path, {"format": bm25.FORMAT, "k1": bm25.K1, "b": bm25.B}, corpus, okapi)
    _, loaded_corpus, loaded = bm25.load(path)
    assert loaded_corpus.ids == corpus.ids and loaded_corpus.vocab == corpus.vocab
    for q in QUERIES:
        tokens = keyword_tokens(q, stem)
        expected = reference(list(docs.values()), tokens)
        assert okapi.scores(tokens) == pytest.approx(expected, abs=1e-6)
        assert loaded.scores(tokens).tolist() == okapi.scores(tokens).tolist()
    assert max(okapi.scores(keyword_tokens(QUERIES[0], stem))) > 0


def test_update_keeps_tokens_and_drops_unused_words() -> None:
    corpus = _corpus({"a": ["x", "y"], "b": ["y", "z"]})
    updated = corpus.update(["b", "c"], {"c": ["w", "y"]})
    assert updated.ids == ["b", "c"]
    words = [[updated.vocab[t] for t in part] for part in updated.token_lists()]
    assert words == [["y", "z"], ["w", "y"]]
    assert sorted(updated.vocab) == ["w", "y", "z"]  # "x" left with "a"
    updated.check()


# --- BM25Index over a real Chroma store -------------------------------------------------


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts given to the tokenizer (chunks and queries)."""
    seen: list[str] = []
    real = text.keyword_tokens

    def counting(t: str, stem: Callable[[str], str] | None = None) -> list[str]:
        seen.append(t)
        return real(t, stem)

    monkeypatch.setattr(text, "keyword_tokens", counting)
    return seen


def _build(settings: Settings, names: list[str]) -> RagService:
    """A service (hashing embedder, real Chroma) that indexed `names` of TEXTS, and seeds/."""
    svc = RagService(settings, embeddings=HashEmbeddings())
    folder = settings.index_dir.parent / "articles"
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / f"{name}.txt").write_text(TEXTS[name], encoding="utf-8")
    svc.build_index([folder, SEEDS])
    return svc


def _fresh(settings: Settings) -> tuple[VectorStore, BM25Index]:
    """A new store object and BM25 index on the same folder: what a new process has."""
    store = open_store(settings, HashEmbeddings())
    return store, BM25Index(store, Stemmer(), folder=settings.index_dir / "bm25")


def _by_id(index: BM25Index, query: str) -> dict[str, float]:
    scores = index.scores(query)
    positions = {cid: index.position(cid) for cid in index.store.chunk_ids()}
    return {cid: float(scores[p]) for cid, p in positions.items() if p is not None}


def _memory_only(store: VectorStore, query: str) -> dict[str, float]:
    return _by_id(BM25Index(store, Stemmer()), query)


def _chunks_of(store: VectorStore, doc_id: str) -> list[str]:
    return [i for i, _, m in store.rows(store.where()) if m["doc_id"] == doc_id]


def test_a_new_process_loads_the_saved_tokens(settings: Settings, calls: list[str]) -> None:
    svc = _build(settings, ["banjir", "pemilu"])
    n = svc.store.count()
    assert len(calls) == n  # the run's chunks, tokenized by the indexing process
    saved = list((settings.index_dir / "bm25").glob("*.npz"))
    assert len(saved) == 1 and not list(saved[0].parent.glob(".*"))  # no temporary left
    calls.clear()
    store, index = _fresh(settings)
    scores = _by_id(index, "jadwal pemilu 2024")
    assert calls == ["jadwal pemilu 2024"]  # the query only: no chunk tokenized again
    assert scores == pytest.approx(_memory_only(store, "jadwal pemilu 2024"), abs=1e-9)
    assert len(scores) == n
    pos = index.position(max(scores, key=scores.__getitem__))
    assert pos is not None and index.documents([pos])[pos].metadata["doc_id"] == "pemilu"
    assert [d.id for d in index.docs] == store.chunk_ids()


def test_a_run_tokenizes_only_its_chunks(settings: Settings, calls: list[str]) -> None:
    svc = _build(settings, ["banjir"])
    _, other = _fresh(settings)  # another process, loaded before the run
    other.scores("banjir")
    folder = settings.index_dir.parent / "articles"
    (folder / "chip.txt").write_text(TEXTS["chip"] + " " + TEXTS["en"] * 12, encoding="utf-8")
    calls.clear()
    svc.build_index([folder])
    added = _chunks_of(svc.store, "chip")
    assert len(added) > 1 and len(calls) == len(added)  # by the indexing process, then saved
    calls.clear()
    other.store.refresh()  # as `Catalog.refresh` does before each question
    scores = _by_id(other, "pabrik chip Batam")
    assert calls == ["pabrik chip Batam"]  # the other process reads what the indexer saved
    assert scores == pytest.approx(_memory_only(svc.store, "pabrik chip Batam"), abs=1e-9)
    assert max(scores, key=scores.__getitem__) in added


def test_another_process_reconciles_by_chunk_id(settings: Settings, calls: list[str]) -> None:
    """A run that did not save (an upload through the chat indexes without tokenizing): the
    other process tokenizes only the chunks it does not hold."""
    svc = _build(settings, ["banjir", "pemilu"])
    _, other = _fresh(settings)
    other.scores("banjir")
    upload = settings.index_dir.parent / "chip.txt"
    upload.write_text(TEXTS["chip"] + " " + TEXTS["en"] * 12, encoding="utf-8")
    saved = next((settings.index_dir / "bm25").glob("*.npz"))
    before = saved.read_bytes()
    calls.clear()
    svc.add_files([upload])
    assert calls == [] and saved.read_bytes() == before
    svc.store.refresh()
    added = _chunks_of(svc.store, "chip")
    other.store.refresh()
    scores = _by_id(other, "pabrik chip Batam")
    assert len(added) > 1 and len(calls) == len(added) + 1  # its new chunks and the query
    assert scores == pytest.approx(_memory_only(svc.store, "pabrik chip Batam"), abs=1e-9)
    assert max(scores, key=scores.__getitem__) in added
    assert bm25.load(saved)[0]["committed"] == other.store.committed  # saved for the next


def test_deleted_articles_leave_bm25(settings: Settings, calls: list[str]) -> None:
    svc = _build(settings, ["banjir", "pemilu", "chip"])
    gone = _chunks_of(svc.store, "pemilu")
    _, other = _fresh(settings)
    other.scores("pemilu")
    svc.delete_articles(["pemilu"])
    calls.clear()
    other.store.refresh()
    scores = _by_id(other, "jadwal pemilu")
    assert len(calls) == 1  # nothing to tokenize: chunks were only removed
    assert all(other.position(cid) is None for cid in gone)
    assert scores == pytest.approx(_memory_only(svc.store, "jadwal pemilu"), abs=1e-9)
    assert max(scores.values()) == 0.0  # "jadwal" and "pemilu" were only in that article


def test_a_file_left_behind_by_another_commit_is_reconciled(
    settings: Settings, calls: list[str], tmp_path: Path
) -> None:
    """The saved file holds an older run (say the process that committed the last one was
    killed before saving): a new process tokenizes only what that run added."""
    svc = _build(settings, ["banjir", "pemilu"])
    saved = next((settings.index_dir / "bm25").glob("*.npz"))
    shutil.copy(saved, tmp_path / "old.npz")
    other = RagService(settings, embeddings=HashEmbeddings())  # another process, same index
    folder = settings.index_dir.parent / "articles"
    (folder / "pemilu.txt").unlink()
    (folder / "chip.txt").write_text(TEXTS["chip"], encoding="utf-8")
    other.build_index([folder, SEEDS], prune=True)
    shutil.copy(tmp_path / "old.npz", saved)  # its save never happened
    calls.clear()
    store, index = _fresh(settings)
    scores = _by_id(index, "chip pemilu")
    assert len(calls) == len(_chunks_of(store, "chip")) + 1
    assert scores == pytest.approx(_memory_only(store, "chip pemilu"), abs=1e-9)
    header, corpus, _ = bm25.load(saved)  # and the file now holds the new run
    assert header["committed"] == store.committed == 2
    assert sorted(corpus.ids) == sorted(scores) == sorted(store.chunk_ids())
    assert svc.store.count() > 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"not a zip file"),
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),  # truncated
        lambda p: np.savez(p, header=np.zeros(3, np.uint8)),  # not our layout
        "tokens",  # our layout, arrays that do not fit together
        "types",  # our layout, arrays of the wrong type
    ],
)
def test_a_damaged_file_is_rebuilt(settings: Settings, calls: list[str], damage: object) -> None:
    svc = _build(settings, ["banjir", "pemilu"])
    saved = next((settings.index_dir / "bm25").glob("*.npz"))
    if damage in ("tokens", "types"):
        header, corpus, okapi = bm25.load(saved)
        shift = len(corpus.vocab) if damage == "tokens" else 0.5
        corpus.tokens = corpus.tokens + shift
        bm25.save(saved, header, corpus, okapi)
    else:
        assert callable(damage)
        damage(saved)
    calls.clear()
    store, index = _fresh(settings)
    scores = _by_id(index, "banjir Medan")
    assert len(calls) == store.count() + 1  # every chunk tokenized again
    assert scores == pytest.approx(_memory_only(store, "banjir Medan"), abs=1e-9)
    assert bm25.load(saved)[0]["committed"] == store.committed  # and saved whole again
    assert svc.store.count() == store.count()


def test_a_failed_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "saved.npz"
    header = {"format": bm25.FORMAT, "k1": bm25.K1, "b": bm25.B}
    old = _corpus({"a": ["x"]})
    bm25.save(path, header, old, bm25.Okapi.build(old))
    before = path.read_bytes()

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(bm25.os, "replace", fail)
    new = _corpus({"b": ["y", "z"]})
    with pytest.raises(OSError):
        bm25.save(path, header, new, bm25.Okapi.build(new))
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]


def test_bm25_answers_when_it_cannot_save(settings: Settings, tmp_path: Path) -> None:
    svc = _build(settings, ["banjir"])
    (tmp_path / "a file").write_text("")
    index = BM25Index(svc.store, Stemmer(), folder=tmp_path / "a file")
    assert index.scores("banjir Medan").max() > 0


@pytest.mark.parametrize(
    "written_by",
    [
        {"uid": "a collection deleted and made again under the same name"},
        {"tokenizer": "another version of rag/text.py"},
    ],
)
def test_a_file_of_another_collection_or_tokenizer_is_not_used(
    settings: Settings, calls: list[str], written_by: dict[str, str]
) -> None:
    svc = _build(settings, ["banjir"])
    saved = next((settings.index_dir / "bm25").glob("*.npz"))
    header, corpus, okapi = bm25.load(saved)
    bm25.save(saved, {**header, **written_by}, corpus, okapi)
    calls.clear()
    _, index = _fresh(settings)
    index.scores("banjir")
    assert len(calls) == svc.store.count() + 1
