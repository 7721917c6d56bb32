"""Train, calibrate and measure the answerability check (`rag.answerable`).

    python -m evals.answerability collect ../shared/data/idk_mrc_train \
        --corpus ../shared/data/idk_mrc_valid
    python -m evals.answerability judge .rag/answerability/idk_mrc_train.pkl --limit 600
    python -m evals.answerability train .rag/answerability/idk_mrc_train.pkl

A new judge prompt or model keeps the trained model and only needs the judge's thresholds:

    python -m evals.answerability collect ../shared/data/idk_mrc_train \
        --corpus ../shared/data/idk_mrc_valid --held-only --limit 300
    python -m evals.answerability judge .rag/answerability/idk_mrc_train-held.pkl --limit 200
    python -m evals.answerability collect ../shared/data/facqa_train --held-only --limit 150
    python -m evals.answerability judge .rag/answerability/facqa_train-held.pkl
    python -m evals.answerability calibrate .rag/answerability/idk_mrc_train-held.pkl \
        --answerable-set .rag/answerability/facqa_train-held.pkl

`collect` runs the answer stage's retrieval and sentence scoring for every question and keeps
what the features need (the best sentences, their chunks, the e5 vectors), so features can be
recomputed without retrieving again. `judge` adds the LLM judge's p(yes) to a sample. `train`
fits the logistic regression on 80% of the training split (by paragraph, so a paragraph's
questions stay on one side), picks the threshold on the other 20% and writes
`rag/answerability.json` with the data's sha256. The IDK-MRC validation split is never used
here: it is for reporting (`rag eval`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.datasets import corpus_service, load_questions
from rag.answerable import CUES, TOP, WEIGHTS, cues, feature_vector
from rag.config import Settings
from rag.generate import MAX_PASSAGES, judge_prompt, passages_for
from rag.sentences import chunk_text
from rag.text import Stemmer, detect_language

OUT = Path(".rag/answerability")


def collect(
    folder: Path, corpus: Path, cache: Path, limit: int | None, held_only: bool = False
) -> Path:
    """Per question: label, language, the top sentences (text, score), their chunks' text, the
    question's and the best sentence's e5 vectors; pickled under .rag/answerability/. With
    `held_only`, a seeded sample of `limit` questions of the held-apart part only (what
    `calibrate` needs, without retrieving for the whole split)."""
    svc = corpus_service(corpus, cache, Settings(llm="none", answerability="off"))
    gen = svc.extractive
    rows = []
    started = time.time()
    questions = list(load_questions(folder, None if held_only else limit))
    if held_only:
        stubs = [{"qid": q.qid, "relevant": sorted(q.relevant)} for q in questions]
        questions = [questions[i] for i in sample(np.flatnonzero(split(stubs)), limit)]
    for i, q in enumerate(questions):
        chunks = svc.retriever.invoke(q.question)
        query = svc.embeddings.embed_query_np(q.question)
        ev = gen.evidence(q.question, chunks)  # its ranking is `score`'s
        scored = ev.ranked
        preferred = ev.pool[0] if ev.pool else None  # joins the passages, as in the answer
        ranked = scored[:5]
        rows.append(
            {
                "qid": q.qid, "question": q.question, "answerable": q.answerable,
                "lang": detect_language(q.question),
                "top": [(s.text, s.score, s.doc.metadata["doc_id"]) for s in ranked],
                "chunks": chunk_text(ranked),
                "relevant": sorted(q.relevant),
                # what the judge reads: the generative prompt's passages
                "passages": [c.quote for c in passages_for(scored, MAX_PASSAGES, preferred)],
                "query": query.astype(np.float32),
                "best": gen.cache([ranked[0].text])[0].astype(np.float32) if ranked else query * 0,
            }
        )  # fmt: skip
        if i % 200 == 0:
            print(f"{i} questions, {time.time() - started:.0f} s", flush=True)
    out = OUT / f"{folder.name}{'-held' if held_only else ''}.pkl"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pickle.dumps({"data": data_hash(folder), "rows": rows}))
    return out


def data_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for name in ("corpus.jsonl", "questions.jsonl"):
        h.update((folder / name).read_bytes())
    return h.hexdigest()


class _Top:
    """A ranked sentence as `rag.answerable.cues` reads it."""

    def __init__(self, text: str, score: float) -> None:
        self.text, self.score = text, score


def reference(settings: Settings) -> dict[str, float]:
    return {"id": settings.abstain_threshold, "en": settings.abstain_threshold_en}


def features(rows: list[dict[str, Any]], thresholds: dict[str, float]) -> np.ndarray:
    stem = Stemmer()
    out = []
    for r in rows:
        top = [_Top(t, s) for t, s, _ in r["top"][:TOP]]
        c = cues(r["question"], r["lang"], top, r["chunks"], thresholds[r["lang"]], stem)
        out.append(feature_vector(c, r["query"], r["best"]))
    return np.array(out)


def split(rows: list[dict[str, Any]], seed: int = 0) -> np.ndarray:
    """True for the held-apart 20%, by paragraph."""
    paragraphs = sorted({r["relevant"][0] if r["relevant"] else r["qid"] for r in rows})
    rng = np.random.default_rng(seed)
    held = set(rng.choice(paragraphs, size=len(paragraphs) // 5, replace=False))
    return np.array([(r["relevant"][0] if r["relevant"] else r["qid"]) in held for r in rows])


def sample(pool: np.ndarray, limit: int | None) -> np.ndarray:
    """A seeded sample of `limit` of `pool`, in order (all of it without a limit)."""
    if limit and limit < len(pool):
        return np.sort(np.random.default_rng(1).choice(pool, size=limit, replace=False))
    return pool


def pick_threshold(p: np.ndarray, answerable: np.ndarray, cap: float) -> float:
    """The highest threshold that refuses at most `cap` of the answerable questions: the most
    near misses caught while answerable questions stay answered (refusing one of those is
    the costlier error in a news chat, where most questions are answerable)."""
    best = 0.0
    for t in np.arange(0.005, 0.951, 0.005):
        if (p[answerable] < t).mean() <= cap:
            best = float(t)
    return round(best, 3)


def _report(name: str, p: np.ndarray, y: np.ndarray, threshold: float) -> str:
    from sklearn.metrics import roc_auc_score

    refuse = p < threshold
    precision = (~y[refuse]).mean() if refuse.any() else float("nan")
    recall = (refuse & ~y).sum() / max((~y).sum(), 1)
    refused = (refuse & y).sum() / max(y.sum(), 1)
    auc = roc_auc_score(y, p) if 0 < y.sum() < len(y) else float("nan")
    return (
        f"{name:6} n={len(y):5} AUC {auc:.3f}  threshold {threshold:.3f}: abstain precision "
        f"{precision:.3f} recall {recall:.3f}, answerable refused {refused:.3f}"
    )


def fit(rows: list[dict[str, Any]], c: float) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """(model, mean, scale, features) fitted on the training part."""
    from sklearn.linear_model import LogisticRegression

    x = features(rows, reference(Settings()))
    y = np.array([r["answerable"] for r in rows])
    held = split(rows)
    mean, scale = x[~held].mean(0), x[~held].std(0) + 1e-6
    model = LogisticRegression(C=c, max_iter=3000).fit((x[~held] - mean) / scale, y[~held])
    return model, mean, scale, x


def train(path: Path, cap: float, c: float) -> None:
    """Fit on 80% of the collected training split, calibrate each mode's threshold on the
    held-apart 20% and write `rag/answerability.json`."""
    blob = pickle.loads(path.read_bytes())
    rows = blob["rows"]
    model, mean, scale, x = fit(rows, c)
    y = np.array([r["answerable"] for r in rows])
    held = split(rows)
    p_model = model.predict_proba((x - mean) / scale)[:, 1]
    thresholds = {"model": pick_threshold(p_model[held], y[held], cap)}
    print(_report("model", p_model[held], y[held], thresholds["model"]))
    judged = held & np.array(["judge" in r for r in rows])
    if judged.sum() >= 50:
        p_judge = np.array([r.get("judge", np.nan) for r in rows])
        for mode, p in (("judge", p_judge), ("both", (p_model + p_judge) / 2)):
            thresholds[mode] = pick_threshold(p[judged], y[judged], cap)
            print(_report(mode, p[judged], y[judged], thresholds[mode]))
        print(_report("model*", p_model[judged], y[judged], thresholds["model"]))
    WEIGHTS.write_text(
        json.dumps(
            {
                "cues": CUES,
                "mean": mean.round(6).tolist(),
                "scale": scale.round(6).tolist(),
                "coef": model.coef_[0].round(6).tolist(),
                "intercept": round(float(model.intercept_[0]), 6),
                "thresholds": thresholds,
                "trained_on": blob["data"],
                "score_reference": reference(Settings()),
                "C": c,
                "answerable_refused_cap": cap,
                "trained_questions": int((~held).sum()),
                "calibrated_on": int(held.sum()),
                "judge_calibrated_on": int(judged.sum()),
            }
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {WEIGHTS}")


def measure(path: Path) -> None:
    """Each mode at its shipped threshold on a collected report set (not used for training)."""
    from rag.answerable import AnswerabilityModel

    rows = pickle.loads(path.read_bytes())["rows"]
    shipped = AnswerabilityModel.load()
    x = features(rows, shipped.score_reference)
    y = np.array([r["answerable"] for r in rows])
    p_model = np.array([shipped.probability(v) for v in x])
    print(_report("model", p_model, y, shipped.thresholds["model"]))
    judged = np.array(["judge" in r for r in rows])
    if judged.any():
        p_judge = np.array([r.get("judge", np.nan) for r in rows])
        for mode, p in (("judge", p_judge), ("both", (p_model + p_judge) / 2)):
            if mode in shipped.thresholds:
                print(_report(mode, p[judged], y[judged], shipped.thresholds[mode]))


def _judged(path: Path) -> list[dict[str, Any]]:
    return [r for r in pickle.loads(path.read_bytes())["rows"] if "judge" in r]


def calibrate(
    path: Path, cap: float, weights: Path = WEIGHTS, answerable_sets: tuple[Path, ...] = ()
) -> dict[str, float]:
    """Set the judge's and both's thresholds in `rag/answerability.json` from a judged sample
    of the held-apart part (`collect --held-only`, then `judge`), the trained model as shipped:
    for a new judge prompt or model, without refitting the model. Each of `answerable_sets`
    (judged samples of other training splits, e.g. FacQA's news questions) caps the threshold
    too: at most `cap` of its answerable questions refused, as IDK-MRC's Wikipedia questions
    alone set it where news questions, which the judge is less sure of, are refused more."""
    from rag.answerable import AnswerabilityModel

    rows = _judged(path)
    if len(rows) < 50:
        raise SystemExit(f"{path}: {len(rows)} judged questions, calibrating needs 50")
    shipped = AnswerabilityModel.load(weights)

    def probabilities(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        x = features(rows, shipped.score_reference)
        p_model = np.array([shipped.probability(v) for v in x])
        p_judge = np.array([r["judge"] for r in rows])
        return {"judge": p_judge, "both": (p_model + p_judge) / 2}

    y = np.array([r["answerable"] for r in rows])
    others = [_judged(other) for other in answerable_sets]
    data = json.loads(weights.read_text(encoding="utf-8"))
    for mode, p in probabilities(rows).items():
        bounds = [pick_threshold(p, y, cap)]
        for other, other_rows in zip(answerable_sets, others, strict=True):
            sure = np.array([r["answerable"] for r in other_rows])
            bounds.append(pick_threshold(probabilities(other_rows)[mode][sure], sure[sure], cap))
            print(f"{mode:6} {other.name}: {sure.sum()} answerable, threshold {bounds[-1]:.3f}")
        data["thresholds"][mode] = min(bounds)
        print(_report(mode, p, y, data["thresholds"][mode]))
    data["judge_calibrated_on"] = len(rows)
    data["judge_capped_by"] = {o.name: len(r) for o, r in zip(answerable_sets, others, strict=True)}
    weights.write_text(json.dumps(data) + "\n", encoding="utf-8")
    print(f"wrote {weights}")
    return dict(data["thresholds"])


def judge(path: Path, limit: int | None, held_only: bool) -> None:
    """Add the local LLM judge's p(yes) (and its latency) to `limit` collected questions
    (from the held-apart part when `held_only`); saved back into the same file."""
    from evals.metrics import percentile
    from rag.llm import LlamaCppChat, make_llm

    blob = pickle.loads(path.read_bytes())
    rows = blob["rows"]
    llm = make_llm(Settings(llm="local"))
    assert isinstance(llm, LlamaCppChat)
    pool = sample(np.flatnonzero(split(rows)) if held_only else np.arange(len(rows)), limit)
    seconds = []
    for n, i in enumerate(pool):
        r = rows[i]
        if "judge" in r or not r["passages"]:
            continue
        started = time.perf_counter()
        messages = judge_prompt(r["question"], r["passages"])
        r["judge"] = llm.yes_probability(messages)
        seconds.append(time.perf_counter() - started)
        if n % 50 == 0:
            print(f"{n}/{len(pool)}: judge p50 {percentile(seconds, 50):.2f} s", flush=True)
            path.write_bytes(pickle.dumps(blob))
    path.write_bytes(pickle.dumps(blob))
    if seconds:
        p50, p95 = percentile(seconds, 50), percentile(seconds, 95)
        print(f"judge latency p50 {p50:.2f} s, p95 {p95:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("collect")
    p.add_argument("dataset", type=Path)
    p.add_argument("--corpus", type=Path, default=None)
    p.add_argument("--cache", type=Path, default=Path(".rag/eval-cache"))
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--held-only", action="store_true")
    p = sub.add_parser("judge")
    p.add_argument("collected", type=Path)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--held-only", action="store_true")
    p = sub.add_parser("measure")
    p.add_argument("collected", type=Path)
    p = sub.add_parser("calibrate")
    p.add_argument("collected", type=Path)
    p.add_argument("--cap", type=float, default=0.03)
    p.add_argument("--answerable-set", type=Path, action="append", default=[])
    p = sub.add_parser("train")
    p.add_argument("collected", type=Path)
    p.add_argument("--cap", type=float, default=0.03)
    p.add_argument("--C", type=float, default=0.05)
    args = parser.parse_args()
    if args.command == "collect":
        corpus = args.corpus or args.dataset
        print(collect(args.dataset, corpus, args.cache, args.limit, args.held_only))
    elif args.command == "judge":
        judge(args.collected, args.limit, args.held_only)
    elif args.command == "calibrate":
        calibrate(args.collected, args.cap, answerable_sets=tuple(args.answerable_set))
    elif args.command == "measure":
        measure(args.collected)
    else:
        train(args.collected, args.cap, args.C)


if __name__ == "__main__":
    main()
