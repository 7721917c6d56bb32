"""Calibrate and measure the gate for English questions: each question's best evidence score
against its own corpus (on topic) and against corpora it is not about (off topic), with e5 (the
gate for Indonesian questions) and with the cross-lingual USE encoder (the gate for English ones).

    python -m evals.topic_gate ../shared/data/belebele_en_dev seeds ../shared/data/idk_mrc_valid

The USE threshold is calibrated on the questions outside the reported sample (`--sample 100
--seed 0`, the one `rag eval` reports) to refuse `--refuse` of them; the report is on the sample.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from evals.datasets import corpus_service
from evals.runner import pick_questions
from rag.config import Settings
from rag.embeddings import ModelEmbeddings
from rag.service import RagService


def _service(
    folder: Path, cache: Path, settings: Settings, embeddings: ModelEmbeddings
) -> RagService:
    if (folder / "corpus.jsonl").is_file():
        return corpus_service(folder, cache, settings)
    svc = RagService(
        settings.model_copy(update={"index_dir": Path(tempfile.mkdtemp()) / "index"}),
        embeddings=embeddings,
    )
    svc.build_index([folder])
    return svc


def scores(svc: RagService, question: str) -> tuple[float, float, float]:
    """The e5 gate's score (best sentence), the USE gate's (best of e5's CROSS_TOP) and the
    shipped gate's verdict (1.0: passes)."""
    gen = svc.extractive
    ranked = gen.score(question, svc.retriever.invoke(question))
    if not ranked:
        return 0.0, 0.0, 0.0
    passes = gen.on_topic(question, "en", ranked)
    return ranked[0].score, gen.cross_score(question, ranked), float(passes)


def main() -> None:
    from sklearn.metrics import roc_auc_score

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="English questions and their corpus")
    parser.add_argument("others", type=Path, nargs="+", help="folders or data sets off topic")
    parser.add_argument("--sample", type=int, default=100, help="the reported sample's size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--refuse", type=float, default=0.02, help="on-topic share refused")
    parser.add_argument("--cache", type=Path, default=Path(".rag/eval-cache"))
    args = parser.parse_args()
    settings = Settings(llm="none", answerability="off")
    own = corpus_service(args.dataset, args.cache, settings)
    others = {o.name: _service(o, args.cache, settings, own.embeddings) for o in args.others}
    if own.extractive.cross is None:
        raise SystemExit("the USE gate needs cross_lingual = 'use'")
    reported = {q.qid for q in pick_questions(args.dataset, None, args.sample, args.seed)}
    rows: dict[str, dict[str, tuple[float, float, float]]] = {}
    for q in pick_questions(args.dataset):
        rows[q.qid] = {"on": scores(own, q.question)}
        rows[q.qid] |= {name: scores(svc, q.question) for name, svc in others.items()}

    def side(name: str, report: bool) -> np.ndarray:
        return np.array([r[name] for qid, r in rows.items() if (qid in reported) == report])

    threshold = float(np.quantile(side("on", False)[:, 1], args.refuse))
    print(f"{args.dataset.name}: {len(rows)} questions, {len(rows) - len(reported)} calibrate, "
          f"{len(reported)} report (--sample {args.sample} --seed {args.seed})")  # fmt: skip
    print(f"USE threshold refusing {args.refuse:.0%} of the calibration questions: {threshold:.4f}")
    gates = (
        ("e5", 0, settings.abstain_threshold_en),
        ("USE (calibrated now)", 1, threshold),
        ("USE (shipped threshold)", 1, settings.abstain_threshold_cross),
        ("shipped gate: USE, or e5 and a name of the question", 2, 0.5),
    )
    print("gate | threshold | on topic refused | " + " | ".join(f"{o} passes" for o in others))
    for name, i, t in gates:
        cells = [f"{(side('on', True)[:, i] < t).mean():.3f}"]
        cells += [f"{(side(o, True)[:, i] >= t).mean():.3f}" for o in others]
        print(f"{name} | {t:.3f} | " + " | ".join(cells))
    every = {name: np.array([r[name] for r in rows.values()]) for name in ["on", *others]}
    for o in others:
        truth = np.r_[np.ones(len(rows)), np.zeros(len(rows))]
        auc = [roc_auc_score(truth, np.r_[every["on"][:, i], every[o][:, i]]) for i in (0, 1)]
        print(f"AUC on topic vs {o}, all questions: e5 {auc[0]:.3f}, USE {auc[1]:.3f}")


if __name__ == "__main__":
    main()
