from __future__ import annotations

import math

import pytest

from evals.metrics import dedupe, mrr_at, ndcg_at, recall_at, retrieval_summary


def test_chunks_of_one_doc_count_once() -> None:
    ranked = ["a", "a", "b", "a", "c"]
    assert dedupe(ranked) == ["a", "b", "c"]
    assert recall_at(ranked, {"c"}, 3) == 1.0  # c is the 3rd distinct doc, not the 5th hit


def test_recall_with_several_relevant_docs() -> None:
    assert recall_at(["x", "a", "y", "b"], {"a", "b", "z"}, 2) == pytest.approx(1 / 3)
    assert recall_at(["x", "a", "y", "b"], {"a", "b", "z"}, 4) == pytest.approx(2 / 3)


def test_empty_retrieval_and_empty_gold() -> None:
    assert recall_at([], {"a"}, 5) == 0.0
    assert mrr_at([], {"a"}, 10) == 0.0
    assert ndcg_at([], {"a"}, 10) == 0.0
    assert recall_at(["a"], set(), 5) == 0.0 and ndcg_at(["a"], set(), 5) == 0.0


def test_mrr_uses_first_relevant_within_k() -> None:
    assert mrr_at(["x", "y", "a", "b"], {"a", "b"}, 10) == pytest.approx(1 / 3)
    assert mrr_at(["x", "y", "a"], {"a"}, 2) == 0.0


def test_ndcg_by_hand() -> None:
    # relevant at ranks 2 and 3 of 3; ideal puts both at 1 and 2
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at(["x", "a", "b"], {"a", "b"}, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at(["a", "b", "x"], {"a", "b"}, 10) == pytest.approx(1.0)
    # more relevant docs than k: the ideal is capped at k
    assert ndcg_at(["a"], {"a", "b", "c"}, 1) == pytest.approx(1.0)


def test_summary_is_the_mean() -> None:
    got = retrieval_summary([(["a"], {"a"}), (["x", "b"], {"b"})])
    assert got["recall@1"] == 0.5 and got["recall@5"] == 1.0
    assert got["mrr@10"] == pytest.approx((1 + 0.5) / 2)


def test_normalize_and_exact_match() -> None:
    from evals.metrics import exact_match, normalize_answer

    assert normalize_answer("  Chip 14nm, DRAM 18nm! [1] ") == "chip 14nm dram 18nm"
    assert exact_match("tiga hari. [1]", ["Tiga Hari"]) == 1.0
    assert exact_match("tiga hari saja", ["tiga hari"]) == 0.0


def test_token_f1_by_hand_best_over_golds() -> None:
    from evals.metrics import token_f1

    # pred 4 tokens, gold 2 tokens, 2 shared: P=.5 R=1 F1=2/3
    assert token_f1("kunjungan tiga hari ke", ["tiga hari"]) == pytest.approx(2 / 3)
    assert token_f1("kunjungan tiga hari ke", ["moskow", "tiga hari"]) == pytest.approx(2 / 3)
    assert token_f1("", ["x"]) == 0.0 and token_f1("x", []) == 0.0
    # repeated tokens count at most as often as in the gold
    assert token_f1("a a", ["a"]) == pytest.approx(2 * 0.5 * 1 / 1.5)


def test_supported_and_percentile() -> None:
    from evals.metrics import percentile, supported

    assert supported(["Kunjungan tiga hari ke Moskow."], ["Tiga hari"])
    assert not supported(["Kunjungan ke Moskow."], ["tiga hari"])
    assert not supported([], ["tiga hari"]) and not supported(["x"], [""])
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 95) == 5.0
    assert math.isnan(percentile([], 50))
