"""The eval report's summary, computed by hand from per-question rows."""

from __future__ import annotations

import math

import pytest

from evals.runner import summarize


def _row(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "answerable": True, "relevant": ["d1"], "retrieved": ["d1"], "abstained": False,
        "citations": [], "em": 0.0, "f1": 0.0, "supported": False, "latency_ms": 10.0,
        "mode": "extractive", "dropped": [],
    }  # fmt: skip
    return {**base, **kw}


def test_summary_by_hand() -> None:
    rows = [
        _row(em=1.0, f1=1.0, supported=True, citations=[{"relevant": True}], latency_ms=10.0),
        _row(retrieved=["d2", "d1"], f1=0.5, citations=[{"relevant": False}], latency_ms=30.0),
        _row(answerable=False, relevant=[], retrieved=["d3"], abstained=True, latency_ms=20.0),
        _row(answerable=False, relevant=[], retrieved=["d3"], latency_ms=40.0),
    ]
    s = summarize(rows)
    assert s["n_questions"] == 4
    assert s["recall@1"] == 0.5 and s["recall@5"] == 1.0 and s["mrr@10"] == 0.75
    assert s["answer_exact_match"] == 0.5 and s["answer_f1"] == 0.75
    assert s["answer_supported"] == 0.5 and s["citation_precision"] == 0.5
    assert s["abstain_precision"] == 1.0 and s["abstain_recall"] == 0.5
    assert math.isnan(s["checker_dropped_rate"]) and math.isnan(s["fallback_rate"])


def test_checker_rates_count_generated_answers_only() -> None:
    rows = [
        _row(mode="generative", dropped=["x"]),
        _row(mode="generative"),
        _row(mode="fallback", dropped=["y", "z"]),
        _row(mode="generative", abstained=True),  # an abstention is not a generated answer
        _row(),  # extractive
    ]
    s = summarize(rows)
    assert s["checker_dropped_rate"] == pytest.approx(2 / 3)
    assert s["fallback_rate"] == pytest.approx(1 / 3)


def test_language_match_and_completeness_by_hand() -> None:
    rows = [
        _row(language_match=True, complete=True, translations_shown=2, translation_ms=900.0),
        _row(language_match=False, complete=False, translations_withheld=1, translation_ms=500.0),
        _row(language_match=True, complete=None),  # no required facts: not judged
        _row(abstained=True, language_match=False, complete=False),  # an abstention: neither
    ]
    s = summarize(rows)
    assert s["answer_language_match"] == pytest.approx(2 / 3)
    assert s["answer_complete"] == pytest.approx(1 / 3)  # abstaining on an answerable one fails
    assert (s["translations_shown"], s["translations_withheld"]) == (2, 1)
    assert s["translation_p50_ms"] == 500.0


def test_complete_needs_every_fact_in_any_spelling() -> None:
    from evals.metrics import complete

    required = [["14nm", "14 nm"], ["18nm", "18 nm"], ["128"]]
    assert complete("China may make 14 nm chips, 18nm DRAM and 128-layer NAND.", required)
    assert not complete("China may make 14nm chips and 18nm DRAM.", required)
    assert complete("Dia bertemu Xi di MOSCOW.", [["Moskow", "Moscow"]])
    assert complete("anything", [])
