"""Speed benchmark: index throughput vs raw embedding speed, no-change re-runs, memory, and
`rag ask` latency.

    python -m evals.bench --articles 500            # real models on a news_id subset
    python -m evals.bench --articles 0 --rerun-scale  # + no-change re-run on all 3,586
    python -m evals.bench --bm25                     # only BM25 at scale (all 3,586), see below

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
FACQA = NEWS.parents[1] / "facqa_valid" / "questions.jsonl"
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


# `rag ask` that reports its own peak memory (VmHWM) as it exits: a child's ru_maxrss would
# count the parent's memory at the fork
_ASK = """import atexit, runpy, sys
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            sys.stderr.write("\\nVmHWM " + line.split()[1] + "\\n")
atexit.register(hwm)
sys.argv = ["rag", *sys.argv[1:]]
runpy.run_module("rag.cli", run_name="__main__", alter_sys=True)
"""


def cold_ask(question: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from the start of a new `rag ask --llm none` process to its answer, and its
    peak resident memory in MB."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _ASK, "ask", "--llm", "none", question],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    kb = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("VmHWM ")]
    return seconds, int(kb[-1]) / 1024


def bench_bm25(
    source: Path, work: Path, questions: Path, n_questions: int = 200, cold_runs: int = 3
) -> dict[str, float]:
    """BM25 over every news_id article: start of a new `rag ask --llm none` process to its
    answer, and its peak memory; the first BM25 scoring of a fresh index object in this
    process (tokenizing the corpus, or loading what is saved); query p50 over real
    questions (query tokenization included: the first time round, a stemmer that did not stem
    the corpus meets the questions' words for the first time), and again; the first scoring
    after a one-article `build_index` run, and after a one-article upload (`add_text`).

    The chunks are embedded with the hashing embedder (embedding them for real takes about
    40 min here): BM25 reads only the chunks' text, never their vectors, so its numbers do not
    depend on the embedder. The collection carries the default embedder's model id, so that
    `rag ask` in a new process opens it (its dense search then reads hashed vectors: the
    dense ranking is meaningless, its cost is the real one); no cross-lingual index.
    """
    from rag.embeddings import make_embeddings
    from rag.service import make_retriever

    settings = Settings(index_dir=work / "bm25", llm="none", cross_lingual="none")
    model_id = make_embeddings(settings).model_id
    svc = RagService(settings, embeddings=HashEmbeddings(384, model_id))
    with questions.open(encoding="utf-8") as f:
        asked = [json.loads(line)["question"] for line in itertools.islice(f, n_questions)]
    t0 = time.perf_counter()
    report = svc.build_index([source])
    index_s = time.perf_counter() - t0
    bm25 = make_retriever(settings, svc.store).bm25  # a new object: nothing in memory
    t0 = time.perf_counter()
    bm25.scores(asked[0])
    first_s = time.perf_counter() - t0
    times, warm = [], []  # the second time round the stemmer knows the questions' words
    for rounds in (times, warm):
        for q in asked:
            t0 = time.perf_counter()
            bm25.scores(q)
            rounds.append(time.perf_counter() - t0)
    searcher = make_retriever(
        settings.model_copy(update={"retriever": "bm25"}), svc.store, bm25=bm25
    )
    search_times = []
    for q in asked:
        t0 = time.perf_counter()
        searcher.search(q)
        search_times.append(time.perf_counter() - t0)
    extra = work / "bm25-extra.txt"  # a one-article run, then the next scoring
    extra.write_text("Banjir bandang melanda Kabupaten Garut.\n\n" + " ".join(asked[:40]))
    svc.build_index([extra])  # `rag index`: the run's new chunks are tokenized and saved
    t0 = time.perf_counter()
    bm25.scores(asked[0])
    after_one_s = time.perf_counter() - t0
    svc.add_text("Gempa di Cianjur", " ".join(asked[40:80]))  # a chat upload: nothing saved
    t0 = time.perf_counter()
    bm25.scores(asked[0])
    after_upload_s = time.perf_counter() - t0
    env = {
        **os.environ, "RAG_INDEX_DIR": str(settings.index_dir), "RAG_LLM": "none",
        "RAG_CROSS_LINGUAL": "none",
    }  # fmt: skip
    cold, rss = zip(*(cold_ask(q, env) for q in asked[1 : 1 + cold_runs]), strict=True)
    return {
        "articles": len(report.added) + len(report.near_duplicates),
        "chunks": svc.store.count(),
        "index_seconds_hashing_embedder": index_s,
        "first_scores_new_object_s": first_s,
        "query_scores_p50_ms": 1000 * statistics.median(times),
        "query_scores_p95_ms": 1000 * percentile(times, 95),
        "query_scores_warm_p50_ms": 1000 * statistics.median(warm),
        "query_scores_warm_p95_ms": 1000 * percentile(warm, 95),
        "search_bm25_mode_p50_ms": 1000 * statistics.median(search_times),
        "n_questions": len(asked),
        "first_scores_after_one_article_run_s": after_one_s,
        "first_scores_after_one_article_upload_s": after_upload_s,
        "cold_ask_p50_s": statistics.median(cold),
        "cold_ask_max_s": max(cold),
        "cold_ask_peak_rss_mb_p50": statistics.median(rss),
        "cold_ask_peak_rss_mb_max": max(rss),
        "peak_rss_mb_this_process": peak_mb(),
        "saved_bm25_mb": sum(f.stat().st_size for f in settings.index_dir.glob("bm25/*")) / 2**20,
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
    parser.add_argument(
        "--bm25", action="store_true", help="only BM25 over the whole set (see bench_bm25)"
    )
    parser.add_argument("--questions", type=Path, default=FACQA, help="for --bm25")
    args = parser.parse_args()
    results: dict[str, object] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.bm25:
            results["bm25_news_id_all"] = bench_bm25(args.news, work, args.questions)
            print(json.dumps(results, indent=2))
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=2))
            return
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
