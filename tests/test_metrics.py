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
