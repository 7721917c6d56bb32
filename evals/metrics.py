"""Pure retrieval metrics over ranked doc ids (chunks already mapped to their doc).

recall@k, MRR@k and nDCG@k equal ranx's and pytrec_eval's (trec_eval) per question and are
faster, without their import cost (`python -m evals.libcheck metrics`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
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


def normalize_answer(text: str) -> str:
    """Lower-case, citation markers and punctuation removed, whitespace collapsed."""
    text = re.sub(r"\[\d+\]", " ", text.lower())
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD-style token F1 of the normalized strings, best over the gold answers."""
    pred = normalize_answer(prediction).split()
    best = 0.0
    for gold in golds:
        ref = normalize_answer(gold).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            precision, recall = common / len(pred), common / len(ref)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def supported(quotes: Sequence[str], golds: Sequence[str]) -> bool:
    """True when a gold answer occurs (normalized) inside one of the cited quotes."""
    norm_quotes = [normalize_answer(q) for q in quotes]
    return any(normalize_answer(g) and normalize_answer(g) in q for g in golds for q in norm_quotes)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def complete(answer: str, required: Sequence[Sequence[str]]) -> bool:
    """Every required fact is in `answer`: at least one of its strings, case-insensitively."""
    text = answer.casefold()
    return all(any(s.casefold() in text for s in fact) for fact in required)
