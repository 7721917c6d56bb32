"""Libraries against the modules that hand-write the same thing, measured on our data.

    python -m evals.libcheck neardup         # index/neardup.py vs datasketch
    python -m evals.libcheck metrics         # evals/metrics.py vs ranx and pytrec_eval
    python -m evals.libcheck sentences       # rag.chunks.split_sentences vs pysbd, sentencex,
                                             # blingfire on evals/sentences_gold.jsonl
    python -m evals.libcheck langid-routing  # retrieval recall@5 of the questions whose
                                             # language label detect_language changed

Each prints a table. Data sets default to ../shared/data (`--data` moves it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
GOLD_SENTENCES = Path(__file__).resolve().parent / "sentences_gold.jsonl"
DEV_SETS = (
    "facqa_valid",
    "tydiqa_id_valid",
    "idk_mrc_valid",
    "mt_news_en2id_valid",
    "belebele_en_dev",
)
GOLD_DIR = Path(__file__).resolve().parent / "gold"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: first column left-aligned, the rest right-aligned."""

    def cell(v: object) -> str:
        if isinstance(v, float):
            return "nan" if math.isnan(v) else f"{v:.4g}" if abs(v) < 1e-3 and v else f"{v:.4f}"
        return str(v)

    cells = [[cell(v) for v in row] for row in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for n, r in enumerate(cells):
        parts = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(parts))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def eval_service(folder: Path, cache: Path, settings: Any, reuse: bool = True) -> Any:
    """The RagService `rag eval` uses for the set (evals.datasets.corpus_service: built under
    `cache` once per version of the chunking code). With `reuse`, the newest complete index of
    the set in `cache` serves instead, even one built by older chunking code: a rebuild takes
    10-40 minutes on these cores, and chunk boundaries matter little to what is compared."""
    from evals.datasets import corpus_service
    from rag.service import RagService

    if reuse:
        built = sorted(cache.glob(f"{folder.name}-*"), key=lambda p: p.stat().st_mtime)
        for index_dir in reversed(built):
            update = {"index_dir": index_dir, "near_duplicates": "index"}
            svc = RagService(settings.model_copy(update=update))
            cross = svc.cross_store
            if svc.store.count() and (cross is None or cross.committed == svc.store.committed):
                print(f"  {folder.name}: the index in {index_dir}", flush=True)
                return svc
    return corpus_service(folder, cache, settings)


# --- 1. near-duplicates -------------------------------------------------------------------


def exact_shingles(text: str) -> set[str]:
    r"""The 5-word shingles `index.neardup.signature` hashes (lower-cased `\w+` words)."""
    from index.neardup import SHINGLE, shingles

    assert SHINGLE == 5
    return shingles(text)


def exact_jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def similar_pairs(sets: Sequence[set[str]], threshold: float) -> dict[tuple[int, int], float]:
    """Every pair (i < j) with exact Jaccard >= `threshold`, by prefix filtering: order each
    set's elements rarest first; two sets that similar share an element of their prefixes."""
    freq: dict[str, int] = {}
    for s in sets:
        for x in s:
            freq[x] = freq.get(x, 0) + 1
    postings: dict[str, list[int]] = {}
    out: dict[tuple[int, int], float] = {}
    for i, s in enumerate(sets):
        ordered = sorted(s, key=lambda x: (freq[x], x))
        prefix = ordered[: len(s) - math.ceil(threshold * len(s)) + 1]
        candidates: set[int] = set()
        for x in prefix:
            candidates.update(postings.get(x, ()))
        for j in candidates:
            small, large = sorted((len(s), len(sets[j])))
            if small < threshold * large:
                continue
            if (sim := exact_jaccard(s, sets[j])) >= threshold:
                out[(j, i)] = sim
        for x in prefix:
            postings.setdefault(x, []).append(i)
    return out


def edit_copy(text: str, kind: str, rate: float, rng: random.Random, vocab: Sequence[str]) -> str:
    """A near-duplicate of `text`: `rate` of its words replaced ("sub") or deleted ("del"),
    or a syndication footer appended ("footer", then `rate` of words replaced as well)."""
    words = text.split(" ")
    n = max(1, round(rate * len(words))) if rate else 0
    picks = set(rng.sample(range(len(words)), min(n, len(words))))
    if kind == "del":
        words = [w for i, w in enumerate(words) if i not in picks]
    else:
        words = [rng.choice(vocab) if i in picks else w for i, w in enumerate(words)]
    out = " ".join(words)
    if kind == "footer":
        out += (
            "\n\nBaca juga: "
            + " ".join(rng.choice(vocab) for _ in range(8)).capitalize()
            + "\n\nArtikel ini telah tayang di situs mitra kami. Ikuti berita terkini dan "
            "terlengkap setiap hari di kanal kami."
        )
    return out


EDITS = (
    ("sub", 0.005), ("sub", 0.01), ("sub", 0.02), ("sub", 0.05), ("sub", 0.1),
    ("del", 0.01), ("del", 0.02), ("del", 0.05), ("del", 0.1),
    ("footer", 0.0), ("footer", 0.01), ("footer", 0.02),
)  # fmt: skip


def neardup_corpus(articles: Path, copies: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """(ids, texts): the real articles (title + text, as index/plan.py hashes them) and
    `copies` edited copies of randomly chosen ones, cycling through EDITS."""
    rows = _load_jsonl(articles)
    ids = [r["doc_id"] for r in rows]
    texts = [f"{r.get('title') or ''}\n{r['text']}" for r in rows]
    rng = random.Random(seed)
    vocab = sorted({w for t in texts[:500] for w in t.split() if w.isalpha()})
    for n, i in enumerate(rng.sample(range(len(rows)), copies)):
        kind, rate = EDITS[n % len(EDITS)]
        ids.append(f"{ids[i]}~{kind}{rate:g}")
        texts.append(edit_copy(texts[i], kind, rate, rng, vocab))
    return ids, texts


class Detector:
    """One MinHash + LSH implementation, behind the calls the comparison makes."""

    name = ""

    def signature(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def similarity(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(np.mean(a == b))

    def add(self, key: str, sig: np.ndarray) -> None:
        raise NotImplementedError

    def candidates(self, sig: np.ndarray) -> set[str]:
        raise NotImplementedError


# The hand-written MinHash index/neardup.py had before it moved to datasketch (frozen here, as
# it was, to keep the comparison reproducible): a * h + b mod 2**61 - 1 with a, b < 2**32, the
# minimum taken over the 61-bit values and then cut to 32 bits; LSH of 16 bands x 4 rows.
_HW_RNG = np.random.default_rng(20261125)
_HW_A = _HW_RNG.integers(1, 1 << 32, 64, dtype=np.uint64)
_HW_B = _HW_RNG.integers(0, 1 << 32, 64, dtype=np.uint64)
_HW_PRIME = np.uint64((1 << 61) - 1)


def shingle_hash(data: bytes) -> int:
    """The hand-written scheme's 32-bit shingle hash (blake2b, low half)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") & 0xFFFFFFFF


def handwritten_signature(text: str) -> np.ndarray:
    grams = exact_shingles(text)
    hashes = np.fromiter((shingle_hash(s.encode()) for s in grams), np.uint64, len(grams))
    mixed = (np.outer(hashes, _HW_A) + _HW_B) % _HW_PRIME
    low: np.ndarray = (mixed.min(axis=0) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return low


class HandWrittenDetector(Detector):
    name = "hand-written (before), 16x4"

    def __init__(self) -> None:
        self.buckets: dict[tuple[int, bytes], list[str]] = {}
        self.sigs: dict[str, np.ndarray] = {}

    def signature(self, text: str) -> np.ndarray:
        return handwritten_signature(text)

    def _bands(self, sig: np.ndarray) -> list[tuple[int, bytes]]:
        return [(b, sig[b * 4 : (b + 1) * 4].tobytes()) for b in range(16)]

    def add(self, key: str, sig: np.ndarray) -> None:
        self.sigs[key] = sig
        for band in self._bands(sig):
            self.buckets.setdefault(band, []).append(key)

    def candidates(self, sig: np.ndarray) -> set[str]:
        return {d for band in self._bands(sig) for d in self.buckets.get(band, ())}


class DatasketchDetector(Detector):
    """datasketch MinHash + MinHashLSH used directly: the default ("affine32") scheme, with
    its own LSH parameters for the threshold, or the given (bands, rows)."""

    def __init__(self, threshold: float, params: tuple[int, int] | None = None) -> None:
        from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]

        self.lsh = MinHashLSH(threshold=threshold, num_perm=64, params=params)
        self.template = MinHash(64, seed=1)
        self.sigs: dict[str, np.ndarray] = {}
        self.name = f"datasketch MinHashLSH {self.lsh.b}x{self.lsh.r}"
        if params is None:
            self.name += " (its default)"

    def signature(self, text: str) -> np.ndarray:
        m = self.template.copy()
        m.update_batch([s.encode() for s in exact_shingles(text)])
        return np.asarray(m.hashvalues)

    def add(self, key: str, sig: np.ndarray) -> None:
        from datasketch import MinHash

        self.lsh.insert(
            key, MinHash(hashvalues=sig, permutations=self.template.permutations, scheme="affine32")
        )
        self.sigs[key] = sig

    def candidates(self, sig: np.ndarray) -> set[str]:
        from datasketch import MinHash

        return set(
            self.lsh.query(
                MinHash(hashvalues=sig, permutations=self.template.permutations, scheme="affine32")
            )
        )


class ModuleDetector(Detector):
    """index/neardup.py as the indexer calls it (signature, similarity, NearDuplicates)."""

    def __init__(self, threshold: float) -> None:
        import index.neardup as nd

        self.nd = nd
        self.index = nd.NearDuplicates(threshold)
        self.name = f"index.neardup ({nd.__name__}, {nd.BANDS}x{nd.PERMUTATIONS // nd.BANDS})"

    def signature(self, text: str) -> np.ndarray:
        return self.nd.signature(text)

    def similarity(self, a: np.ndarray, b: np.ndarray) -> float:
        return self.nd.similarity(a, b)

    def add(self, key: str, sig: np.ndarray) -> None:
        self.index.add(key, sig)

    def candidates(self, sig: np.ndarray) -> set[str]:
        return self.index.candidates(sig)


def detectors(threshold: float) -> list[Callable[[], Detector]]:
    return [
        HandWrittenDetector,
        lambda: DatasketchDetector(threshold),
        lambda: DatasketchDetector(threshold, params=(16, 4)),
        lambda: ModuleDetector(threshold),
    ]


@dataclass
class DupScore:
    name: str
    pairs: int
    true_pos: int
    precision: float
    recall: float
    candidate_recall: float  # of the true pairs, share LSH proposed at all
    mae: float  # |estimate - exact Jaccard| over the true pairs
    sd: float  # standard deviation of estimate - exact over the pairs near the threshold too
    fp_below: int  # found pairs whose exact Jaccard is below threshold - 0.1
    sig_ms: float
    match_ms: float
    index_mb: float  # held by the signatures and the LSH tables


def find_pairs(
    det: Detector, ids: Sequence[str], sigs: Sequence[np.ndarray], threshold: float
) -> tuple[dict[tuple[int, int], float], set[tuple[int, int]]]:
    """Every text matched against all the others: a pair is found when LSH proposes it and
    the estimate reaches the threshold. (found pairs with estimates, proposed pairs)"""
    pos = {key: i for i, key in enumerate(ids)}
    found: dict[tuple[int, int], float] = {}
    proposed: set[tuple[int, int]] = set()
    for i, sig in enumerate(sigs):
        for key in det.candidates(sig):
            j = pos[key]
            if j == i:
                continue
            pair = (min(i, j), max(i, j))
            proposed.add(pair)
            if pair not in found and (est := det.similarity(sig, sigs[j])) >= threshold:
                found[pair] = est
    return found, proposed


def score_detector(
    make: Callable[[], Detector], ids: Sequence[str], texts: Sequence[str],
    sets: Sequence[set[str]], truth: dict[tuple[int, int], float], threshold: float,
    near: dict[tuple[int, int], float] | None = None,
) -> DupScore:  # fmt: skip
    """Signatures of every text, all of them indexed, then every text matched against the
    rest. Timed in one pass; the index's memory measured in a second (tracemalloc slows)."""
    det = make()
    t0 = time.perf_counter()
    sigs = [det.signature(t) for t in texts]
    sig_s = time.perf_counter() - t0
    for key, sig in zip(ids, sigs, strict=True):
        det.add(key, sig)
    t0 = time.perf_counter()
    found, proposed = find_pairs(det, ids, sigs, threshold)
    match_s = time.perf_counter() - t0
    hits = set(found) & set(truth)
    errors = [abs(det.similarity(sigs[i], sigs[j]) - sim) for (i, j), sim in truth.items()]
    signed = [det.similarity(sigs[i], sigs[j]) - sim for (i, j), sim in (near or truth).items()]
    low = sum(exact_jaccard(sets[i], sets[j]) < threshold - 0.1 for i, j in set(found) - hits)
    fresh = make()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for key, sig in zip(ids, sigs, strict=True):
        fresh.add(key, sig.copy())
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return DupScore(
        det.name, len(found), len(hits),
        len(hits) / len(found) if found else math.nan,
        len(hits) / len(truth) if truth else math.nan,
        len(set(truth) & proposed) / len(truth) if truth else math.nan,
        sum(errors) / len(errors) if errors else math.nan,
        float(np.std(signed)) if signed else math.nan, low,
        1000 * sig_s / len(texts), 1000 * match_s / len(texts), held / 2**20,
    )  # fmt: skip


def cmd_neardup(args: argparse.Namespace) -> None:
    ids, texts = neardup_corpus(args.data / "news_id" / "articles.jsonl", args.copies, args.seed)
    sets = [exact_shingles(t) for t in texts]
    truth = similar_pairs(sets, args.threshold)
    near = similar_pairs(sets, args.threshold - 0.3)
    real = sum("~" not in ids[i] and "~" not in ids[j] for i, j in truth)
    real_near = sum("~" not in ids[i] and "~" not in ids[j] for i, j in near) - real
    print(
        f"{len(texts)} texts ({args.copies} edited copies), {len(truth)} pairs at exact "
        f"Jaccard >= {args.threshold} ({real} between real articles), "
        f"{len(near) - len(truth)} in [{args.threshold - 0.3:.1f}, {args.threshold}) "
        f"({real_near} real)"
    )
    rows = []
    for make in detectors(args.threshold):
        s = score_detector(make, ids, texts, sets, truth, args.threshold, near)
        rows.append(
            [s.name, s.pairs, s.true_pos, s.precision, s.recall, s.candidate_recall, s.mae,
             s.sd, s.fp_below, s.sig_ms, s.match_ms, s.index_mb]
        )  # fmt: skip
    print(
        _table(
            ["detector", "found", "true", "precision", "recall", "LSH recall", "MAE",
             f"err SD J>={args.threshold - 0.3:.1f}", f"found <{args.threshold - 0.1:.1f}",
             "sig ms/art", "match ms/art", "index MB"],
            rows,
        )
    )  # fmt: skip


# --- 2. IR metrics ------------------------------------------------------------------------

METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
Judged = list[tuple[list[str], set[str]]]  # (ranked doc ids, relevant doc ids) per question


def ours_per_query(runs: Judged) -> dict[str, list[float]]:
    from evals.metrics import mrr_at, ndcg_at, recall_at

    return {
        "recall@1": [recall_at(r, g, 1) for r, g in runs],
        "recall@5": [recall_at(r, g, 5) for r, g in runs],
        "recall@10": [recall_at(r, g, 10) for r, g in runs],
        "mrr@10": [mrr_at(r, g, 10) for r, g in runs],
        "ndcg@10": [ndcg_at(r, g, 10) for r, g in runs],
    }


def _scored(runs: Judged) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    """qrels and a run in the libraries' shape: chunks of one doc count once (as in ours) and
    the score falls with the rank, no ties, so every library sees our order."""
    from evals.metrics import dedupe

    qrels = {f"q{i}": dict.fromkeys(sorted(g), 1) for i, (_, g) in enumerate(runs)}
    run = {}
    for i, (ranked, _) in enumerate(runs):
        docs = dedupe(ranked)
        run[f"q{i}"] = {d: float(len(docs) - n) for n, d in enumerate(docs)}
    return qrels, run


def ranx_per_query(runs: Judged) -> dict[str, list[float]]:
    from ranx import Qrels, Run, evaluate  # type: ignore[import-untyped]

    qrels, run = _scored(runs)
    ranx_run = Run.from_dict(run)
    # make_comparable: a question that retrieved nothing scores 0 (ranx would refuse it)
    with warnings.catch_warnings():  # numba: "unsafe cast from uint64 to int64"
        warnings.simplefilter("ignore")
        evaluate(Qrels.from_dict(qrels), ranx_run, list(METRICS), make_comparable=True)
    return {m: [float(ranx_run.scores[m].get(q, 0.0)) for q in qrels] for m in METRICS}


def trec_per_query(runs: Judged) -> dict[str, list[float]]:
    """pytrec_eval (trec_eval): recall_k, ndcg_cut_10, and recip_rank of the run cut at 10
    (trec_eval's recip_rank has no cutoff). A question that retrieved nothing is absent from
    trec_eval's output (it scores only the run's topics): scored 0 here, as ours does."""
    import pytrec_eval

    qrels, run = _scored(runs)
    full = pytrec_eval.RelevanceEvaluator(qrels, {"recall.1,5,10", "ndcg_cut.10"}).evaluate(run)
    top10 = {q: dict(sorted(d.items(), key=lambda kv: -kv[1])[:10]) for q, d in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
    names = {"recall@1": "recall_1", "recall@5": "recall_5", "recall@10": "recall_10",
             "ndcg@10": "ndcg_cut_10"}  # fmt: skip
    out = {m: [float(full.get(q, {}).get(t, 0.0)) for q in qrels] for m, t in names.items()}
    out["mrr@10"] = [float(rr.get(q, {}).get("recip_rank", 0.0)) for q in qrels]
    return {m: out[m] for m in METRICS}


def tie_effect(runs: Judged) -> dict[str, int]:
    """Questions whose metrics change when the libraries get scores with ties (ranks in
    threes share a score) instead of our order: they re-sort tied docs by their own rule
    (trec_eval: doc id, descending), while ours keeps the retriever's order."""
    import pytrec_eval
    from ranx import Qrels, Run, evaluate

    qrels, run = _scored(runs)
    tied = {q: {d: float(int(s) // 3) + 1.0 for d, s in docs.items()} for q, docs in run.items()}
    ours = ours_per_query(runs)
    full = pytrec_eval.RelevanceEvaluator(qrels, {"recall.5", "ndcg_cut.10"}).evaluate(tied)
    ranx_run = Run.from_dict(tied)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluate(Qrels.from_dict(qrels), ranx_run, ["recall@5", "ndcg@10"], make_comparable=True)
    changed = {"pytrec_eval": 0, "ranx": 0}
    for i, q in enumerate(qrels):
        mine = (ours["recall@5"][i], ours["ndcg@10"][i])
        trec = (full.get(q, {}).get("recall_5", 0.0), full.get(q, {}).get("ndcg_cut_10", 0.0))
        rx = (ranx_run.scores["recall@5"].get(q, 0.0), ranx_run.scores["ndcg@10"].get(q, 0.0))
        changed["pytrec_eval"] += any(abs(a - b) > 1e-9 for a, b in zip(mine, trec, strict=True))
        changed["ranx"] += any(abs(a - b) > 1e-9 for a, b in zip(mine, rx, strict=True))
    return changed


IMPLEMENTATIONS: dict[str, Callable[[Judged], dict[str, list[float]]]] = {
    "ours": ours_per_query,
    "ranx": ranx_per_query,
    "pytrec_eval": trec_per_query,
}
IMPORTS = {"ours": "evals.metrics", "ranx": "ranx", "pytrec_eval": "pytrec_eval"}


def synthetic_runs(
    questions: Sequence[dict[str, Any]], doc_ids: Sequence[str], seed: int = 0
) -> Judged:
    """Real qrels (each question's `relevant`, and a copy with up to 3 extra relevant docs:
    the real sets hold mostly one) against random rankings: relevant docs planted at random
    ranks or left out, chunks of one doc repeated, some runs short and some empty."""
    rng = random.Random(seed)
    out: Judged = []
    for q in questions:
        base = set(q["relevant"])
        for relevant in (base, base | set(rng.sample(doc_ids, rng.randint(1, 3)))):
            length = rng.choice((0, 3, 10, 30, 30, 30))
            ranked = [d for d in rng.sample(doc_ids, length) if d not in relevant]
            for d in relevant:
                if rng.random() < 0.6 and ranked:
                    ranked.insert(rng.randrange(len(ranked) + 1), d)
            for _ in range(length // 5):  # more chunks of docs already ranked
                if ranked:
                    ranked.insert(rng.randrange(len(ranked) + 1), rng.choice(ranked))
            out.append((ranked, relevant))
    return out


def real_runs(folder: Path, cache: Path, retriever: str, reuse: bool = True) -> Judged:
    """The chunk-level ranking (30 chunks -> doc ids) of every judged question of the set, as
    `rag eval` ranks it, with the given retriever over the set's cached eval index."""
    from evals.datasets import load_questions
    from rag.config import load_settings
    from rag.service import make_retriever

    settings = load_settings()
    svc = eval_service(folder, cache, settings, reuse)
    ret = make_retriever(
        settings.model_copy(update={"retriever": retriever}), svc.store, svc.cross_store,
        svc.retriever.bm25,
    )  # fmt: skip
    return [
        ([h.doc.metadata["doc_id"] for h in ret.search(q.question, k=30)], set(q.relevant))
        for q in load_questions(folder)
        if q.relevant
    ]


def rows_runs(path: Path) -> Judged:
    """(retrieved, relevant) of the judged rows of a `rag eval` questions.jsonl."""
    return [(r["retrieved"], set(r["relevant"])) for r in _load_jsonl(path) if r["relevant"]]


def import_seconds(module: str, repeat: int = 3) -> float:
    """Best wall time of a fresh interpreter importing `module`, less a bare interpreter's."""

    def best(code: str) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - t0)
        return min(times)

    return max(best(f"import {module}") - best("pass"), 0.0)


def compare_metrics(runs: Judged) -> dict[str, dict[str, float]]:
    """Per library: the largest per-question difference from ours of each metric."""
    ours = ours_per_query(runs)
    out = {}
    for name, fn in IMPLEMENTATIONS.items():
        got = fn(runs)
        out[name] = {
            m: max((abs(a - b) for a, b in zip(ours[m], got[m], strict=True)), default=0.0)
            for m in METRICS
        }
        out[name]["mean ndcg@10"] = sum(got["ndcg@10"]) / max(len(runs), 1)
    return out


def cmd_metrics(args: argparse.Namespace) -> None:
    sets: dict[str, Judged] = {}
    for folder in (args.data / s for s in DEV_SETS):
        qs = [q for q in _load_jsonl(folder / "questions.jsonl") if q.get("relevant")]
        docs = [d["doc_id"] for d in _load_jsonl(folder / "corpus.jsonl")]
        sets[f"synthetic/{folder.name}"] = synthetic_runs(qs, docs, args.seed)
    for name in args.real:
        sets[f"{args.retriever}/{name}"] = real_runs(
            args.data / name, args.cache, args.retriever, not args.rebuild
        )
    for path in args.rows:
        sets[f"rows/{path.parent.name}"] = rows_runs(path)
    rows = []
    for label, runs in sets.items():
        diffs = compare_metrics(runs)
        for lib in ("ranx", "pytrec_eval"):
            d = diffs[lib]
            rows.append(
                [label, len(runs), lib, *(d[m] for m in METRICS), diffs["ours"]["mean ndcg@10"]]
            )
    print("Largest per-question |library - ours| (0 = identical to the last bit)")
    print(_table(["runs", "questions", "library", *METRICS, "ours nDCG@10"], rows))

    every = [r for runs in sets.values() for r in runs]
    ties = tie_effect(every)
    print(
        f"\nWith tied scores (ranks in threes share one) instead of our order, the metrics of "
        f"{ties['pytrec_eval']} of {len(every)} questions change under pytrec_eval and "
        f"{ties['ranx']} under ranx: each breaks ties its own way"
    )
    timing = []
    for name, fn in IMPLEMENTATIONS.items():
        t0 = time.perf_counter()
        fn(every)  # the first call: numba compiles ranx's metrics
        first = time.perf_counter() - t0
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            fn(every)
            best = min(best, time.perf_counter() - t0)
        timing.append(
            [name, len(every), 1e6 * best / len(every), first, import_seconds(IMPORTS[name])]
        )
    print(f"\nSpeed on all {len(every)} questions above, and a cold import in a fresh interpreter")
    print(
        _table(["implementation", "questions", "us/question", "first call s", "import s"], timing)
    )


# --- 3. sentence splitting ----------------------------------------------------------------

Spans = list[tuple[int, int]]


def _ours() -> Callable[[str], Spans]:
    from rag.chunks import split_sentences

    return split_sentences


def _pysbd() -> Callable[[str], Spans]:
    import pysbd  # type: ignore[import-untyped]

    # pysbd has no Indonesian ("id" is not among its languages): English rules, the nearest
    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)

    def split(text: str) -> Spans:
        return [(s.start, s.end) for s in segmenter.segment(text)]

    return split


def _sentencex() -> Callable[[str], Spans]:
    import sentencex  # type: ignore[import-untyped]

    def split(text: str) -> Spans:
        return [
            (b["start_index"], b["end_index"])
            for b in sentencex.get_sentence_boundaries("id", text)
        ]

    return split


def _blingfire() -> Callable[[str], Spans]:
    import blingfire  # type: ignore[import-untyped]

    def split(text: str) -> Spans:
        return [(a, b) for a, b in blingfire.text_to_sentences_and_offsets(text)[1]]

    return split


SPLITTERS: dict[str, Callable[[], Callable[[str], Spans]]] = {
    "ours (rag.chunks)": _ours,
    "pysbd 0.3.4 (en)": _pysbd,
    "sentencex 1.0.32 (id)": _sentencex,
    "blingfire 0.1.8": _blingfire,
}


def load_gold(path: Path = GOLD_SENTENCES) -> list[dict[str, Any]]:
    return _load_jsonl(path)


def sentence_ends(text: str, spans: Spans) -> set[int]:
    """Where sentences end inside the text (trailing whitespace trimmed); the end of the text
    is left out: every splitter ends a sentence there."""
    last = len(text.rstrip())
    ends = {len(text[:b].rstrip()) for a, b in spans if text[a:b].strip()}
    return {e for e in ends if 0 < e < last}


def offsets_exact(text: str, spans: Spans) -> bool:
    """The contract citations rely on: ordered, disjoint, in range; and every non-space
    character of the text inside some span (nothing dropped)."""
    pos = 0
    covered = 0
    for a, b in spans:
        if not (pos <= a <= b <= len(text)):
            return False
        covered += sum(not c.isspace() for c in text[a:b])
        pos = b
    return covered == sum(not c.isspace() for c in text)


@dataclass
class SplitScore:
    name: str
    tp: int
    fp: int
    fn: int
    exact: bool
    errors: list[str]

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score_splitter(
    name: str, split: Callable[[str], Spans], gold: list[dict[str, Any]]
) -> SplitScore:
    """Boundary precision/recall against the gold ends (the end of each paragraph excluded)."""
    tp = fp = fn = 0
    exact = True
    errors = []
    for g in gold:
        text = g["text"]
        spans = split(text)
        exact = exact and offsets_exact(text, spans)
        got = sentence_ends(text, spans)
        want = {b for b in g["boundaries"] if b < len(text.rstrip())}
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        for e in sorted(got ^ want):
            kind = "split" if e in got else "missed"
            errors.append(
                f"{kind} [{g['case']}] ...{text[max(0, e - 40) : e]}|{text[e : e + 25]}..."
            )
    return SplitScore(name, tp, fp, fn, exact, errors)


def scaling_text(articles: Path, size: int, paragraphs: bool) -> str:
    """`size` characters of news_id text: its paragraphs, or all on one line (one paragraph)."""
    parts = []
    total = 0
    with articles.open(encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            parts.append(text if paragraphs else " ".join(text.split()))
            total += len(parts[-1]) + 2
            if total >= size:
                break
    return ("\n\n" if paragraphs else " ").join(parts)[:size]


def _timed(name: str, text: str) -> float:
    """Best of up to 5 runs (fewer once a second is spent): small times are noisy."""
    split = SPLITTERS[name]()
    best, spent = math.inf, 0.0
    for _ in range(5):
        t0 = time.perf_counter()
        split(text)
        took = time.perf_counter() - t0
        best, spent = min(best, took), spent + took
        if spent > 1.0:
            break
    return best


def time_split(name: str, text: str, timeout: float) -> float:
    """Seconds to split `text` in a child process (warm: the splitter is loaded and used once
    first); inf when it takes longer than `timeout` (the child is then killed)."""
    import multiprocessing as mp

    with mp.get_context("fork").Pool(1) as pool:
        pool.apply(_timed, (name, "Satu. Dua."))
        job = pool.apply_async(_timed, (name, text))
        try:
            return float(job.get(timeout))
        except mp.TimeoutError:
            pool.terminate()
            return math.inf


def _shape(text: str, end: int) -> str:
    """The boundary's surroundings as a pattern: 'aaaa."|aa' for 'katanya." ujar ...'."""
    before = re.search(r"\S{0,6}$", text[:end])
    key = (before.group(0) if before else "") + "|" + text[end : end + 3].strip()[:2]
    return re.sub(r"[a-z]", "a", re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", key)))


Disagreements = dict[str, tuple[int, str]]  # shape -> (count, first example)


def disagreements(
    articles: Path, other: Callable[[str], Spans]
) -> tuple[Disagreements, Disagreements]:
    """Sentence ends only ours finds and only `other` finds, over every paragraph of the
    articles, counted by `_shape`."""
    ours = _ours()
    only: tuple[Disagreements, Disagreements] = ({}, {})
    for row in _load_jsonl(articles):
        for para in re.split(r"\n+", row["text"]):
            para = para.strip()
            if not para:
                continue
            a, b = sentence_ends(para, ours(para)), sentence_ends(para, other(para))
            for side, ends in ((0, a - b), (1, b - a)):
                for e in ends:
                    shape = _shape(para, e)
                    count, example = only[side].get(shape, (0, para[max(0, e - 45) : e + 25]))
                    only[side][shape] = (count + 1, example)
    return only


def cmd_sentences(args: argparse.Namespace) -> None:
    gold = load_gold(args.gold)
    print(f"{args.gold.name}: {len(gold)} paragraphs, "
          f"{sum(len(g['boundaries']) - 1 for g in gold)} sentence ends inside them")  # fmt: skip
    articles = args.data / "news_id" / "articles.jsonl"
    mb = scaling_text(articles, 1 << 20, paragraphs=True)
    rows = []
    scores = []
    for name, make in SPLITTERS.items():
        s = score_splitter(name, make(), gold)
        scores.append(s)
        per_mb = time_split(name, mb, args.timeout)
        rows.append([name, s.tp, s.fp, s.fn, s.precision, s.recall, s.f1, s.exact, per_mb])
    print(_table(["splitter", "TP", "FP", "FN", "precision", "recall", "F1", "offsets ok",
                  "s per MB"], rows))  # fmt: skip
    if args.errors:
        for s in scores:
            print(f"\n{s.name}: {len(s.errors)} errors")
            for e in s.errors:
                print("  " + e)
    if args.versus:
        print(f"\nWhere ours and {args.versus} disagree on all of news_id, by the shape of the "
              "text around the boundary (letters a/A, digits 9; | = the boundary)")  # fmt: skip
        only_ours, only_lib = disagreements(articles, SPLITTERS[args.versus]())
        for label, counts in (("ours only", only_ours), (f"{args.versus} only", only_lib)):
            print(f"{label}: {sum(c for c, _ in counts.values())} boundaries")
            top = sorted(counts.items(), key=lambda kv: -kv[1][0])[: args.top]
            for shape, (count, example) in top:
                print(f"  {count:5d}  {shape:14}  {example!r}")
    sizes = (50_000, 200_000, 1_000_000)
    rows = []
    for name in SPLITTERS:
        times = []
        for size in sizes:
            text = scaling_text(articles, size, paragraphs=False)
            times.append(time_split(name, text, args.timeout))
        rows.append([name, *times, times[-1] / times[0] if math.isfinite(times[-1]) else math.inf])
    print(f"\nOne paragraph of 50 KB / 200 KB / 1 MB (seconds; inf = over {args.timeout:g} s; "
          "linear: 1 MB / 50 KB = 20)")  # fmt: skip
    print(_table(["splitter", "50 KB", "200 KB", "1 MB", "1 MB / 50 KB"], rows))


# --- 4. language ID routing ---------------------------------------------------------------


def old_language(text: str) -> str:
    """The detector before `detect_language`: function words only, a tie is Indonesian."""
    from rag.text import function_word_language

    return function_word_language(text) or "id"


@dataclass
class LangChange:
    dataset: str
    questions: int
    errors_old: int
    errors_new: int
    changed: list[dict[str, Any]]  # the questions whose label changed


def language_changes(folder: Path) -> LangChange:
    """Errors of the old and new detector against the set's `lang`, and the changed questions."""
    from rag.text import detect_language

    qs = _load_jsonl(folder / "questions.jsonl")
    changed = []
    errors_old = errors_new = 0
    for q in qs:
        label = q.get("lang", "id")
        old, new = old_language(q["question"]), detect_language(q["question"])
        errors_old += old != label
        errors_new += new != label
        if old != new:
            changed.append({**q, "old": old, "new": new})
    return LangChange(folder.name, len(qs), errors_old, errors_new, changed)


def routing_recall(
    folder: Path, changed: list[dict[str, Any]], cache: Path, reuse: bool = True
) -> dict[str, Any]:
    """Recall@5 (and MRR@10) of the changed questions, retrieval routed by each detector:
    `rag.retrieve.detect_language` is swapped for the old one, over the index `rag eval`
    builds for the set (evals.datasets.corpus_service, default settings)."""
    from unittest import mock

    from evals.metrics import mrr_at, recall_at
    from rag.articles import slug
    from rag.config import load_settings
    from rag.text import detect_language

    settings = load_settings()
    t0 = time.perf_counter()
    svc = eval_service(folder, cache, settings, reuse)
    build_s = time.perf_counter() - t0
    judged = [q for q in changed if q.get("relevant")]
    detectors: dict[str, Callable[[str], str]] = {"old": old_language, "new": detect_language}
    # the name retrieval calls: its own import of it, or rag.text's (retrieval is all that runs
    # here, so swapping rag.text's changes the routing only)
    import rag.retrieve

    has_own = hasattr(rag.retrieve, "detect_language")
    target = "rag.retrieve.detect_language" if has_own else "rag.text.detect_language"
    out: dict[str, Any] = {"dataset": folder.name, "judged": len(judged), "build_s": build_s}
    per_q: dict[str, dict[str, float]] = {}
    for name, fn in detectors.items():
        recalls, rrs = [], []
        with mock.patch(target, fn):
            for q in judged:
                hits = svc.retriever.search(q["question"], k=30)
                ranked = [h.doc.metadata["doc_id"] for h in hits]
                relevant = {slug(d) for d in q["relevant"]}
                recalls.append(recall_at(ranked, relevant, 5))
                rrs.append(mrr_at(ranked, relevant, 10))
                per_q.setdefault(q["qid"], {})[name] = recalls[-1]
        out[f"recall@5_{name}"] = sum(recalls) / max(len(recalls), 1)
        out[f"mrr@10_{name}"] = sum(rrs) / max(len(rrs), 1)
    out["better"] = sum(v["new"] > v["old"] for v in per_q.values())
    out["worse"] = sum(v["new"] < v["old"] for v in per_q.values())
    return out


def cmd_langid_routing(args: argparse.Namespace) -> None:
    folders = [Path(d) for d in args.datasets] or [*(args.data / s for s in DEV_SETS), GOLD_DIR]
    changes = [language_changes(f) for f in folders]
    print("Questions whose label changed (old = function words, tie -> id; new = detect_language)")
    print(
        _table(
            ["set", "questions", "changed", "errors old", "errors new"],
            [[c.dataset, c.questions, len(c.changed), c.errors_old, c.errors_new] for c in changes],
        )
    )
    for c in changes:
        for q in c.changed:
            print(
                f"  {c.dataset} {q['qid']} lang={q.get('lang', 'id')} {q['old']}->{q['new']}: "
                f"{q['question'][:90]!r}"
            )
    rows = []
    for folder, c in zip(folders, changes, strict=True):
        if not c.changed or args.no_retrieval:
            continue
        r = routing_recall(folder, c.changed, args.cache, not args.rebuild)
        print(f"  {c.dataset}: index ready in {r['build_s']:.0f} s", flush=True)
        rows.append(
            [c.dataset, r["judged"], r["recall@5_old"], r["recall@5_new"], r["mrr@10_old"],
             r["mrr@10_new"], r["better"], r["worse"]]
        )  # fmt: skip
    if rows:
        print("\nRetrieval of the changed questions, routed by each detector (default settings)")
        print(
            _table(
                ["set", "questions", "R@5 old", "R@5 new", "MRR@10 old", "MRR@10 new",
                 "R@5 up", "R@5 down"],
                rows,
            )
        )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data sets")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("neardup", help="index/neardup.py vs datasketch")
    p.add_argument("--copies", type=int, default=600, help="edited copies of real articles")
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_neardup)
    p = sub.add_parser("metrics", help="evals/metrics.py vs ranx and pytrec_eval")
    p.add_argument("--real", nargs="*", default=[], help="data sets whose cached eval index "
                   "gives real runs (builds it if missing: minutes)")  # fmt: skip
    p.add_argument("--retriever", default="bm25", choices=("bm25", "dense", "hybrid"))
    p.add_argument("--rows", nargs="*", type=Path, default=[], help="rag eval questions.jsonl")
    p.add_argument("--cache", type=Path, default=Path(".rag/eval-cache"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rebuild", action="store_true", help="no stale index: rag eval's own")
    p.set_defaults(func=cmd_metrics)
    p = sub.add_parser("sentences", help="split_sentences vs pysbd, sentencex, blingfire")
    p.add_argument("--gold", type=Path, default=GOLD_SENTENCES)
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per timing")
    p.add_argument("--errors", action="store_true", help="list every wrong boundary")
    p.add_argument("--versus", default="blingfire 0.1.8", help="splitter to diff on news_id")
    p.add_argument("--top", type=int, default=15, help="disagreement shapes shown")
    p.set_defaults(func=cmd_sentences)
    p = sub.add_parser("langid-routing", help="language ID routing effect on recall@5")
    p.add_argument("datasets", nargs="*", help="data set folders (default: every dev set)")
    p.add_argument("--cache", type=Path, default=Path(".rag/eval-cache"))
    p.add_argument("--no-retrieval", action="store_true", help="only count the changes")
    p.add_argument("--rebuild", action="store_true", help="no stale index: rag eval's own")
    p.set_defaults(func=cmd_langid_routing)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
