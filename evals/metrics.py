"""Pure retrieval metrics over ranked doc ids (chunks already mapped to their doc)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def dedupe(ranked: Sequence[str]) -> list[str]:
    """Doc ids in first-seen order (several chunks of one doc count once)."""
    return list(dict.fromkeys(ranked))


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant docs found in the top k (0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    return len(set(dedupe(ranked)[:k]) & relevant) / len(relevant)


def mrr_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    for i, doc in enumerate(dedupe(ranked)[:k], 1):
        if doc in relevant:
            return 1.0 / i
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Binary-relevance nDCG@k."""
    if not relevant:
        return 0.0
    dcg = sum(
        1.0 / math.log2(i + 1) for i, doc in enumerate(dedupe(ranked)[:k], 1) if doc in relevant
    )
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def retrieval_summary(runs: Sequence[tuple[Sequence[str], set[str]]]) -> dict[str, float]:
    """Mean recall@1/5/10, mrr@10 and ndcg@10 over (ranked, relevant) pairs."""
    n = len(runs) or 1
    return {
        "recall@1": sum(recall_at(r, g, 1) for r, g in runs) / n,
        "recall@5": sum(recall_at(r, g, 5) for r, g in runs) / n,
        "recall@10": sum(recall_at(r, g, 10) for r, g in runs) / n,
        "mrr@10": sum(mrr_at(r, g, 10) for r, g in runs) / n,
        "ndcg@10": sum(ndcg_at(r, g, 10) for r, g in runs) / n,
    }
