"""`rag eval`: run a data set's questions through the chat's retrieval and answer path."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.datasets import Question, corpus_service, load_questions
from evals.metrics import (
    complete,
    dedupe,
    exact_match,
    mrr_at,
    percentile,
    recall_at,
    retrieval_summary,
    supported,
    token_f1,
)
from rag.config import Settings
from rag.drafts import plain
from rag.text import detect_language

Progress = Callable[[int, int], None]


@dataclass
class EvalResult:
    report: dict[str, Any]
    rows: list[dict[str, Any]]


def pick_questions(
    folder: Path, limit: int | None = None, sample: int | None = None, seed: int = 0
) -> list[Question]:
    """All questions, the first `limit`, or a fixed random `sample` of them."""
    questions = load_questions(folder, limit)
    if sample is not None and sample < len(questions):
        questions = sorted(random.Random(seed).sample(questions, sample), key=lambda q: q.qid)
    return questions


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _translated(row: dict[str, Any]) -> bool:
    return bool(row.get("translations_shown", 0) or row.get("translations_withheld", 0))


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's summary from per-question rows (pure; see README for each metric)."""
    answerable = [r for r in rows if r["answerable"]]
    judged = [r for r in rows if r["relevant"]]
    retrieval = retrieval_summary([(r["retrieved"], set(r["relevant"])) for r in judged])
    citations = [c for r in rows for c in r["citations"]]
    abstained = [r for r in rows if r["abstained"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    right_abstain = [r for r in abstained if not r["answerable"]]
    latencies = [r["latency_ms"] for r in rows]
    generated = [
        r for r in rows if r.get("mode", "extractive") != "extractive" and not r["abstained"]
    ]
    return {
        **(retrieval if judged else dict.fromkeys(retrieval, math.nan)),
        "answer_exact_match": _mean([r["em"] for r in answerable]),
        "answer_f1": _mean([r["f1"] for r in answerable]),
        "answer_supported": _mean([float(r["supported"]) for r in answerable]),
        "citation_precision": (
            _mean([float(c["relevant"]) for c in citations]) if citations else math.nan
        ),
        "abstain_precision": len(right_abstain) / len(abstained) if abstained else math.nan,
        "abstain_recall": len(right_abstain) / len(unanswerable) if unanswerable else math.nan,
        # answerable questions the system refused (a wrong "the articles don't say")
        "answerable_refused": _mean([float(r["abstained"]) for r in answerable]),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "n_questions": len(rows),
        # generative answers only: how often the support check removed a sentence, and how
        # often it removed all of them (the extractive answer was given instead)
        "checker_dropped_rate": (
            _mean([float(bool(r["dropped"])) for r in generated]) if generated else math.nan
        ),
        "fallback_rate": (
            _mean([float(r["mode"] == "fallback") for r in generated]) if generated else math.nan
        ),
        # answers in the question's language, of those that answered
        "answer_language_match": _mean(
            [
                float(r["language_match"])
                for r in rows
                if not r["abstained"] and "language_match" in r
            ]
        ),
        # answerable questions with required facts whose answer states every one
        "answer_complete": _mean(
            [float(r["complete"]) for r in answerable if r.get("complete") is not None]
        ),
        # citations in another language than the question: translation shown or withheld
        "translations_shown": sum(r.get("translations_shown", 0) for r in rows),
        "translations_withheld": sum(r.get("translations_withheld", 0) for r in rows),
        "translation_p50_ms": percentile([r["translation_ms"] for r in rows if _translated(r)], 50),
    }


def run_eval(
    folder: Path,
    settings: Settings,
    *,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> EvalResult:
    """Index `folder`'s corpus in its own collection (cached under `index_dir/eval-cache`) and
    ask every question through `RagService.answer`, as the chat does."""
    svc = corpus_service(folder, settings.index_dir / "eval-cache", settings)
    questions = pick_questions(folder, limit, sample, seed)
    if questions:  # one-time costs (BM25 build, model loads) are not question latency
        svc.translate(svc.stream(questions[0].question).answer)
    rows = []
    for i, q in enumerate(questions, 1):
        ranked = [h.doc.metadata["doc_id"] for h in svc.retriever.search(q.question, k=30)]
        t0 = time.perf_counter()
        ans = svc.stream(q.question).answer  # what a chat shows first
        latency = 1000 * (time.perf_counter() - t0)
        ans = svc.translate(ans)  # then the citations' translations (not in the latency)
        translation_ms = 1000 * (time.perf_counter() - t0) - latency
        prediction = "" if ans.abstained else ans.answer
        relevant = set(q.relevant)
        foreign = [c for c in ans.citations if detect_language(c.quote) != ans.language]
        shown = sum(c.translation is not None for c in foreign)
        rows.append(
            {
                "qid": q.qid, "question": q.question, "lang": q.lang,
                "answerable": q.answerable, "relevant": sorted(relevant),
                "retrieved": dedupe(ranked)[:10], "answer": ans.answer,
                "abstained": ans.abstained, "mode": ans.mode, "dropped": ans.dropped,
                "citations": [
                    {"n": c.n, "doc_id": c.doc_id, "quote": c.quote, "score": c.score,
                     "relevant": c.doc_id in relevant, "translation": c.translation}
                    for c in ans.citations
                ],
                "recall@5": recall_at(ranked, relevant, 5) if relevant else math.nan,
                "rr@10": mrr_at(ranked, relevant, 10) if relevant else math.nan,
                "em": exact_match(prediction, q.answers) if q.answers else 0.0,
                "f1": token_f1(prediction, q.answers),
                "supported": supported([c.quote for c in ans.citations], q.answers),
                "latency_ms": round(latency, 2),
                "language_match": detect_language(plain(ans.answer)) == q.lang,
                "complete": (
                    complete(prediction, q.required) if q.required and q.answerable else None
                ),
                "notes": ans.notes,
                "translations_shown": shown if svc.translator is not None else 0,
                "translations_withheld": (
                    len(foreign) - shown if svc.translator is not None else 0
                ),
                "translation_ms": round(translation_ms, 2),
            }
        )  # fmt: skip
        if progress:
            progress(i, len(questions))
    judged = [(r["retrieved"], set(r["relevant"])) for r in rows if r["relevant"]]
    recall_curve = {
        str(k): _mean([recall_at(ret, rel, k) for ret, rel in judged]) for k in range(1, 11)
    }
    report = {
        "dataset": folder.name,
        "summary": summarize(rows),
        "recall_curve": recall_curve,
        "settings": {
            "retriever": settings.retriever, "embedder": svc.embeddings.model_id,
            "llm": svc.status().llm, "cross_lingual": settings.cross_lingual,
            "cross_weight": settings.cross_weight, "top_k": settings.top_k,
            "fetch_k": settings.fetch_k,
            "dense_weight": settings.dense_weight, "dense_weight_en": settings.dense_weight_en,
            "bm25_stemming": settings.bm25_stemming,
            "abstain_threshold": settings.abstain_threshold,
            "abstain_threshold_en": settings.abstain_threshold_en,
            "llm_model": settings.llm_model, "support_threshold": settings.support_threshold,
            "answer_types": settings.answer_types, "chunk_size": settings.chunk_size,
            "answerability": settings.answerability,
            "answerability_threshold": (
                svc.answerability.thresholds.get(svc.answerability.mode)
                if svc.answerability is not None else None
            ),
            "limit": limit, "sample": sample, "seed": seed,
        },
    }  # fmt: skip
    return EvalResult(report, rows)


def _json_safe(value: Any) -> Any:
    """NaN (an undefined metric) becomes null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def write_outputs(result: EvalResult, out: Path) -> list[Path]:
    """report.json, questions.jsonl and report.html in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "questions.jsonl", out / "report.html"]
    report = _json_safe(result.report)
    paths[0].write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    with paths[1].open("w", encoding="utf-8") as f:
        for row in result.rows:
            f.write(json.dumps(_json_safe(row), ensure_ascii=False) + "\n")
    from evals.report_html import render_html

    paths[2].write_text(render_html(result.report, result.rows), encoding="utf-8")
    return paths
