"""evals/libcheck.py: the sentence gold file's integrity and one real check per comparison."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from itertools import combinations, pairwise
from pathlib import Path

import numpy as np
import pytest

from evals import libcheck
from index import neardup

WIRE = (
    "Bank Indonesia menahan suku bunga acuan di level 6 persen pada rapat dewan gubernur "
    "bulan ini. Gubernur BI mengatakan keputusan itu untuk menjaga stabilitas rupiah di "
    "tengah ketidakpastian global. Inflasi inti diperkirakan tetap terkendali hingga akhir "
    "tahun, sementara pertumbuhan kredit perbankan masih melambat di sejumlah sektor."
)


# --- the gold file ------------------------------------------------------------------------


def test_sentence_gold_file_is_well_formed() -> None:
    gold = libcheck.load_gold()
    assert len(gold) >= 40
    assert len({g["text"] for g in gold}) == len(gold)  # no paragraph twice
    for g in gold:
        text, ends = g["text"], g["boundaries"]
        assert set(g) == {"text", "boundaries", "doc_id", "case", "source"}
        assert "annotated by hand" in g["source"]
        assert text == text.strip() and "\n" not in text  # one paragraph, trimmed
        assert ends == sorted(set(ends)) and ends[-1] == len(text)  # ordered; the text ends one
        for e in ends[:-1]:
            # a sentence ends on terminal punctuation (closing quotes/brackets may follow it)
            assert re.search(r"[.!?…][\"'”’)\]]*$", text[:e]), (text[e - 30 : e + 10], g["case"])
            # and the next one starts after whitespace or, run on, with a capital
            assert text[e].isspace() or text[e].isupper(), text[e - 30 : e + 10]


def test_gold_paragraphs_are_news_id_text() -> None:
    articles = libcheck.DATA / "news_id" / "articles.jsonl"
    if not articles.exists():  # a fresh clone may lack ../shared; CI must have it
        if os.environ.get("CI"):
            pytest.fail(f"{articles} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"shared data not found: {articles}")
    texts = {}
    with articles.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            texts[row["doc_id"]] = row["text"]
    for g in libcheck.load_gold():
        assert g["text"] in texts[g["doc_id"]]


# --- 1. near-duplicates -------------------------------------------------------------------


def test_similar_pairs_agrees_with_brute_force() -> None:
    rng = random.Random(3)
    base = [f"w{i}" for i in range(40)]
    sets = [set(rng.sample(base, rng.randint(5, 30))) for _ in range(40)]
    sets += [set(s) for s in sets[:5]]  # exact copies: Jaccard 1
    for threshold in (0.3, 0.5, 0.8):
        brute = {
            (i, j): libcheck.exact_jaccard(a, b)
            for (i, a), (j, b) in combinations(enumerate(sets), 2)
            if libcheck.exact_jaccard(a, b) >= threshold
        }
        assert libcheck.similar_pairs(sets, threshold) == pytest.approx(brute)


def test_edited_copies_straddle_the_threshold() -> None:
    rng = random.Random(0)
    text = " ".join(f"kata{i}" for i in range(400))
    vocab = ["lain", "baru", "juga"]
    exact = libcheck.exact_shingles(text)
    for kind, rate, lo, hi in (("sub", 0.01, 0.85, 0.99), ("sub", 0.1, 0.2, 0.7)):
        copy = libcheck.edit_copy(text, kind, rate, rng, vocab)
        assert lo < libcheck.exact_jaccard(exact, libcheck.exact_shingles(copy)) < hi


def test_handwritten_scheme_is_the_one_old_indexes_stored() -> None:
    """The frozen copy in libcheck reproduces the signatures the hand-written module wrote
    (digest of `encode(signature(WIRE's first sentence))` taken before the switch)."""
    first = WIRE.split(". ")[0] + "."
    old = libcheck.handwritten_signature(first).astype("<u4").tobytes().hex()
    assert hashlib.sha256(old.encode()).hexdigest() == (
        "ed0d00f87b7cddad76a961191126361b46f15f546469fe7aaf2a2e156b6da741"
    )
    # an old index keeps working: its signatures are skipped, never compared with new ones
    assert neardup.decode(old) is None


def test_stored_signatures_do_not_change() -> None:
    """Signatures are stored in the index: a datasketch upgrade (or a seed change) that gives
    other values must fail here, not silently stop matching the stored ones."""
    first = WIRE.split(". ")[0] + "."
    stored = neardup.encode(neardup.signature(first))
    assert stored.startswith("a32:")
    assert hashlib.sha256(stored.encode()).hexdigest() == (
        "39421b8b251b8695b38a53510b44751a7552e2022a054405c03765402cd35a03"
    )


def test_module_matches_copies_and_replaces_on_add() -> None:
    sig = neardup.signature(WIRE)
    assert sig.dtype == np.uint32 and len(sig) == neardup.PERMUTATIONS
    back = neardup.decode(neardup.encode(sig))
    assert back is not None and np.array_equal(back, sig)
    for bad in ("", "a32:", "a32:zz", "a32:" + "00" * 10):
        assert neardup.decode(bad) is None
    index = neardup.NearDuplicates(0.8)
    index.add("wire", sig)
    copy = neardup.signature(WIRE + " Baca juga berita lain.")
    assert index.match(copy) == ("wire", neardup.similarity(sig, copy))
    assert index.match(sig, exclude="wire") is None
    index.add("wire", neardup.signature("Tim nasional menang 2-0 atas Vietnam di Hanoi malam ini."))
    assert index.match(sig) is None  # the second add replaced the first


def test_detectors_score_a_small_corpus() -> None:
    rng = random.Random(1)
    words = [f"kata{i}" for i in range(2000)]
    texts = [" ".join(rng.sample(words, 150)) for _ in range(30)]
    texts += [libcheck.edit_copy(t, "sub", 0.005, rng, words) for t in texts[:10]]
    ids = [str(i) for i in range(len(texts))]
    sets = [libcheck.exact_shingles(t) for t in texts]
    truth = libcheck.similar_pairs(sets, 0.8)
    assert len(truth) == 10
    for make in libcheck.detectors(0.8)[2:]:  # datasketch 16x4 and the module
        score = libcheck.score_detector(make, ids, texts, sets, truth, 0.8)
        assert score.candidate_recall == 1.0 and score.precision == 1.0, score


# --- 2. IR metrics ------------------------------------------------------------------------


def _runs() -> libcheck.Judged:
    docs = [f"d{i}" for i in range(60)]
    questions = [{"relevant": [f"d{i}"]} for i in range(0, 60, 3)]
    runs = libcheck.synthetic_runs(questions, docs, seed=2)
    assert any(not ranked for ranked, _ in runs)  # an empty run is among them
    assert any(len(rel) > 1 for _, rel in runs)
    return runs


def test_pytrec_eval_agrees_with_ours_per_question() -> None:
    pytest.importorskip("pytrec_eval")
    runs = _runs()
    ours, trec = libcheck.ours_per_query(runs), libcheck.trec_per_query(runs)
    for m in libcheck.METRICS:
        assert trec[m] == pytest.approx(ours[m], abs=1e-9), m


@pytest.mark.slow  # importing ranx (numba, pandas) and compiling its metrics: 10-25 s
def test_ranx_agrees_with_ours_per_question() -> None:
    pytest.importorskip("ranx")
    diffs = libcheck.compare_metrics(_runs())
    assert all(diffs["ranx"][m] < 1e-9 for m in libcheck.METRICS), diffs["ranx"]


# --- 3. sentences -------------------------------------------------------------------------


def test_sentence_scoring_by_hand() -> None:
    text = "Dr. Ani datang. Ia pergi! Lalu pulang."
    gold = [{"text": text, "boundaries": [15, 25, len(text)], "case": "x"}]
    # a splitter that splits after every period, "Dr." included

    def naive(t: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in re.finditer(r"[^.!?]+[.!?]", t)]

    assert libcheck.sentence_ends(text, naive(text)) == {3, 15, 25}
    s = libcheck.score_splitter("naive", naive, gold)
    assert (s.tp, s.fp, s.fn) == (2, 1, 0) and s.exact
    assert s.precision == pytest.approx(2 / 3) and s.recall == 1.0
    assert not libcheck.offsets_exact(text, [(0, 15)])  # the rest of the text dropped
    assert not libcheck.offsets_exact(text, [(4, 15), (0, 3)])  # out of order


@pytest.mark.parametrize("name", list(libcheck.SPLITTERS))
def test_splitters_keep_the_offsets_contract_on_the_gold(name: str) -> None:
    split = libcheck.SPLITTERS[name]()
    for g in libcheck.load_gold():
        spans = split(g["text"])
        assert libcheck.offsets_exact(g["text"], spans)
        assert all(a < b for a, b in spans) and all(b <= c for (_, b), (c, _) in pairwise(spans))


def test_ours_on_the_gold() -> None:
    s = libcheck.score_splitter(
        "ours", libcheck.SPLITTERS["ours (rag.chunks)"](), libcheck.load_gold()
    )
    assert s.f1 >= 0.85 and s.recall >= 0.95, (s.tp, s.fp, s.fn)


# --- 4. language routing ------------------------------------------------------------------


def test_language_changes_counts_both_detectors(tmp_path: Path) -> None:
    questions = [
        {"qid": "1", "question": "Kapan novel We Need to Talk About Kevin dirilis?", "lang": "id"},
        {"qid": "2", "question": "Siapa presiden pertama Indonesia?", "lang": "id"},
        {"qid": "3", "question": "Syria minister joins opposition", "lang": "en"},
    ]
    (tmp_path / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in questions))
    got = libcheck.language_changes(tmp_path)
    assert (got.questions, got.errors_old, got.errors_new) == (3, 2, 0)
    assert [(q["qid"], q["old"], q["new"]) for q in got.changed] == [
        ("1", "en", "id"),
        ("3", "id", "en"),
    ]
