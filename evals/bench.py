"""Speed benchmark: index throughput vs raw embedding speed, no-change re-runs, memory, and
`rag ask` latency.

    python -m evals.bench --articles 500            # real models on a news_id subset
    python -m evals.bench --articles 0 --rerun-scale  # + no-change re-run on all 3,586

Prints numbers; it asserts nothing (speed targets are read off, not tested).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evals.metrics import percentile
from evals.support import HashEmbeddings
from rag.articles import load_articles
from rag.chunks import chunk_article
from rag.config import Settings
from rag.service import RagService

NEWS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "news_id" / "articles.jsonl"
SEEDS = Path(__file__).resolve().parents[1] / "seeds"
QUESTIONS = [
    "what chip limits apply to China?",
    "Apa batasan produksi chip yang berlaku untuk China?",
    "Which companies stopped selling to Russia?",
    "Berapa hari kunjungan Xi Jinping ke Moskow?",
    "How much does an Nvidia H100 cost in Russia?",
    "What did Russia and China agree to support at the UN?",
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_index(source: Path, work: Path, label: str) -> dict[str, float]:
    """Index `source` into a fresh index; embed the very same chunks raw (both models) before
    and after the run, so machine noise shows as the gap between the two raw timings."""
    svc = RagService(Settings(index_dir=work / label, llm="none"))
    articles, _ = load_articles([source], svc.ingestor.rules)
    texts = [c.page_content for a in articles for c in chunk_article(a, 500, 1)]
    raw_before = _raw(svc, texts)
    report = svc.build_index([source])
    memory = peak_mb()
    stored = [c.page_content for c in svc.store.all_chunks()]
    assert sorted(stored) == sorted(texts), "the run indexed other chunks than measured raw"
    raw_after = _raw(svc, texts)
    raw = (raw_before + raw_after) / 2
    t0 = time.perf_counter()
    rerun = svc.build_index([source])
    rerun_s = time.perf_counter() - t0
    return {
        "articles": len(report.added),
        "near_duplicates": len(report.near_duplicates),
        "duplicates": len(report.duplicates),
        "chunks": report.chunks,
        "index_seconds": report.seconds,
        "articles_per_s": len(report.added) / report.seconds,
        "chunks_per_s": report.chunks / report.seconds,
        "pipeline_embed_seconds": report.embed_seconds,  # inside the run, both models
        "pipeline_other_seconds": report.seconds - report.embed_seconds,
        "raw_embed_seconds_before": raw_before,
        "raw_embed_seconds_after": raw_after,
        "raw_chunks_per_s": len(texts) / raw,
        "overhead_pct": 100 * (report.seconds - raw) / raw,
        "overhead_outside_embedding_pct": 100 * (report.seconds - report.embed_seconds) / raw,
        "no_change_rerun_seconds": rerun_s,
        "rerun_unchanged": len(rerun.unchanged),
        "peak_rss_mb_after_index": memory,
    }


def _raw(svc: RagService, texts: list[str]) -> float:
    """Seconds to embed `texts` with the main model and, if on, the cross-lingual one."""
    t0 = time.perf_counter()
    svc.embeddings.embed_documents_np(texts)
    if svc.cross_store is not None:  # the pipeline embeds every chunk with both models
        svc.cross_store.embeddings.embed_documents_np(texts)
    return time.perf_counter() - t0


def bench_rerun_scale(source: Path, work: Path) -> dict[str, float]:
    """No-change re-run over the whole set (plus the USE index, as in production)."""
    svc = RagService(
        Settings(index_dir=work / "scale", llm="none"),
        embeddings=HashEmbeddings(384, "bench/hashing-384"),
    )
    report = svc.build_index([source])
    times, unchanged = [], 0
    for _ in range(3):
        t0 = time.perf_counter()
        unchanged = len(svc.build_index([source]).unchanged)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    fresh = RagService(
        Settings(index_dir=work / "scale", llm="none"),
        embeddings=HashEmbeddings(384, "bench/hashing-384"),
    )
    fresh.build_index([source])
    cold = time.perf_counter() - t0
    return {
        "articles": len(report.added) + len(report.near_duplicates),
        "chunks": report.chunks,
        "first_index_seconds_hashing_embedder": report.seconds,
        "no_change_rerun_seconds_p50": statistics.median(times),
        "no_change_rerun_seconds_new_service": cold,
        "rerun_unchanged": unchanged,
        "peak_rss_mb": peak_mb(),
    }


def bench_ask(index_dir: Path, cold_runs: int = 3, warm_rounds: int = 5) -> dict[str, float]:
    # the extractive path; the LLM's latency is measured by evals/bench_llm.py
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "RAG_LLM": "none"}
    cold = []
    for q in QUESTIONS[:cold_runs]:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rag.cli", "ask", q], env=env, check=True, capture_output=True
        )
        cold.append(time.perf_counter() - t0)
    svc = RagService(Settings(index_dir=index_dir, llm="none"))
    svc.answer(QUESTIONS[0])  # first call builds the BM25 index
    warm = []
    for _ in range(warm_rounds):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            svc.answer(q)
            warm.append(time.perf_counter() - t0)
    return {
        "cold_process_p50_s": statistics.median(cold),
        "cold_process_max_s": max(cold),
        "warm_p50_ms": 1000 * statistics.median(warm),
        "warm_p95_ms": 1000 * percentile(warm, 95),
        "warm_n": len(warm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="news_id articles to index")
    parser.add_argument("--news", type=Path, default=NEWS)
    parser.add_argument("--out", type=Path, default=Path("bench-out/bench.json"))
    parser.add_argument(
        "--rerun-scale", action="store_true", help="time a no-change re-run on the whole set"
    )
    parser.add_argument("--skip-ask", action="store_true", help="no `rag ask` latency")
    args = parser.parse_args()
    results: dict[str, object] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subset = work / f"news_id_{args.articles}.jsonl"
        with args.news.open(encoding="utf-8") as src:
            subset.write_text("".join(itertools.islice(src, args.articles)))
        results["seeds"] = bench_index(SEEDS, work, "seeds")
        if args.articles:
            results[f"news_id_{args.articles}"] = bench_index(subset, work, "news")
            print(json.dumps(results, indent=2), flush=True)
        if args.rerun_scale:
            results["news_id_all_no_change"] = bench_rerun_scale(args.news, work)
        if not args.skip_ask:
            results["ask"] = bench_ask(work / "seeds")
    print(json.dumps(results, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
