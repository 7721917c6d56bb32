"""Retrieval quality of dense, BM25 and hybrid fusions on shared-layout data sets.

    python -m evals.retrieval ../shared/data/facqa_valid ../shared/data/mt_news_en2id_valid

Prints recall@1/5/10, mrr@10 and ndcg@10 per configuration and writes them as JSON.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from evals.datasets import corpus_service, load_questions, study_args
from evals.metrics import retrieval_summary
from rag.config import Settings
from rag.retrieve import HybridRetriever
from rag.text import detect_language

# (label, mode, dense weight for Indonesian questions, dense weight for other questions,
#  USE share of the dense score for non-Indonesian questions)
CONFIGS: list[tuple[str, str, float, float, float]] = [
    ("dense", "dense", 1.0, 1.0, 0.0),
    ("bm25", "bm25", 0.0, 0.0, 0.0),
    ("hybrid w=0.5, no gate", "hybrid", 0.5, 0.5, 0.0),
    ("hybrid 0.7 id / 0.9 en", "hybrid", 0.7, 0.9, 0.0),
    ("dense + USE(en)", "dense", 1.0, 1.0, 0.6),
    ("hybrid + USE(en) (default)", "hybrid", 0.7, 0.9, 0.6),
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
    for label, mode, w_id, w_en, w_cross in CONFIGS:
        retriever = HybridRetriever(
            store=svc.store, bm25=svc.retriever.bm25, mode=mode,  # type: ignore[arg-type]
            k=10, fetch_k=max(settings.fetch_k, 10), dense_weight=w_id, dense_weight_en=w_en,
            cross_store=svc.cross_store, cross_weight=w_cross,
        )  # fmt: skip
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
    for label, *_ in CONFIGS:
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
