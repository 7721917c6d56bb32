"""Retrieval quality of dense, BM25 and hybrid fusions on shared-layout data sets.

    python -m evals.retrieval ../shared/data/facqa_valid ../shared/data/mt_news_en2id_valid

Prints recall@1/5/10, mrr@10 and ndcg@10 per configuration and writes them as JSON.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from evals.datasets import corpus_service, load_questions, study_args
from evals.metrics import retrieval_summary
from rag.config import Settings
from rag.service import make_retriever
from rag.text import detect_language


def configs(defaults: Settings) -> list[tuple[str, dict[str, Any]]]:
    """(label, settings changed from `defaults`): the retrievers compared; the last row is
    `defaults` itself, so the table's default is the product's."""
    d = defaults
    return [
        ("dense", {"retriever": "dense", "cross_weight": 0.0}),
        ("bm25", {"retriever": "bm25"}),
        (
            "hybrid w=0.5, no gate",
            {
                "retriever": "hybrid",
                "dense_weight": 0.5,
                "dense_weight_en": 0.5,
                "cross_weight": 0.0,
            },
        ),
        (
            f"hybrid {d.dense_weight} id / {d.dense_weight_en} en",
            {"retriever": "hybrid", "cross_weight": 0.0},
        ),
        (f"dense + USE(en) {d.cross_weight}", {"retriever": "dense"}),
        (f"{d.retriever} (default)", {}),
    ]


def evaluate(folder: Path, cache: Path, settings: Settings, limit: int | None) -> dict[str, object]:
    svc = corpus_service(folder, cache, settings)
    # retrieval is judged only where the data set names a relevant doc
    questions = [q for q in load_questions(folder, limit) if q.relevant]
    langs = [detect_language(q.question) for q in questions]
    results: dict[str, object] = {
        "dataset": folder.name,
        "questions": len(questions),
        "chunks": svc.store.count(),
        "detected_en": sum(lang == "en" for lang in langs),
    }
    for label, changes in configs(settings):
        update = {**changes, "top_k": 10, "fetch_k": max(settings.fetch_k, 10)}
        retriever = make_retriever(
            settings.model_copy(update=update), svc.store, svc.cross_store, svc.retriever.bm25
        )
        t0 = time.perf_counter()
        runs = []
        for q in questions:
            ranked = [h.doc.metadata["doc_id"] for h in retriever.search(q.question, k=30)]
            runs.append((ranked, set(q.relevant)))
        summary = retrieval_summary(runs)
        summary["ms_per_query"] = 1000 * (time.perf_counter() - t0) / max(len(questions), 1)
        results[label] = summary
    return results


def print_table(result: dict[str, object]) -> None:
    print(
        f"\n{result['dataset']}: {result['questions']} questions, {result['chunks']} chunks, "
        f"{result['detected_en']} detected as English"
    )
    print(
        f"{'config':30} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7} {'nDCG@10':>8} {'ms/q':>6}"
    )
    for label in (k for k in result if isinstance(result[k], dict)):
        m = result[label]
        assert isinstance(m, dict)
        print(
            f"{label:34} {m['recall@1']:6.3f} {m['recall@5']:6.3f} {m['recall@10']:6.3f} "
            f"{m['mrr@10']:7.3f} {m['ndcg@10']:8.3f} {m['ms_per_query']:6.1f}"
        )


def main() -> None:
    args = study_args(__doc__, "bench-out/retrieval.json")
    settings = Settings()
    all_results = []
    for folder in args.datasets:
        result = evaluate(folder, args.cache, settings, args.limit)
        print_table(result)
        all_results.append(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(all_results, indent=2))
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
