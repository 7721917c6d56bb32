"""How well the similarity gate tells on-topic from off-topic questions: each question's best
evidence score against its own corpus (on topic) and against an index it is not about (off
topic), with e5 (the gate today) and with the cross-lingual USE encoder.

    python -m evals.topic_gate ../shared/data/belebele_en_dev seeds

Prints, per score, the AUC and the share of off-topic questions that pass when the threshold
refuses 1%, 2% or 5% of on-topic ones, and what the shipped thresholds do.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from evals.datasets import corpus_service, load_questions
from rag.config import Settings
from rag.embeddings import ModelEmbeddings, UseEmbeddings
from rag.service import RagService
from rag.text import detect_language

TOP = 10  # sentences the USE score looks at: the e5 ranking's best


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


def main() -> None:
    from sklearn.metrics import roc_auc_score

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="questions and the corpus they are about")
    parser.add_argument("other", type=Path, help="a folder or data set they are not about")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--cache", type=Path, default=Path(".rag/eval-cache"))
    args = parser.parse_args()
    settings = Settings(llm="none", answerability="off")
    own = corpus_service(args.dataset, args.cache, settings)
    off = _service(args.other, args.cache, settings, own.embeddings)
    use = UseEmbeddings()
    questions = load_questions(args.dataset, args.limit)
    scores: dict[str, list[tuple[float, float]]] = {"on": [], "off": []}
    for q in questions:
        qv = use.embed_query_np(q.question)
        for side, svc in (("on", own), ("off", off)):
            ranked = svc.extractive.score(q.question, svc.retriever.invoke(q.question))
            texts = [s.text for s in ranked[:TOP]]
            best_use = float((use.embed_documents_np(texts) @ qv).max()) if texts else 0.0
            scores[side].append((ranked[0].score if ranked else 0.0, best_use))
    on, off_ = np.array(scores["on"]), np.array(scores["off"])
    langs = {
        lang: sum(detect_language(q.question) == lang for q in questions) for lang in ("en", "id")
    }
    print(f"{len(questions)} questions of {args.dataset.name} ({langs}), off topic: {args.other}")
    truth = np.r_[np.ones(len(on)), np.zeros(len(off_))]
    for i, name in enumerate(("e5 best sentence (the gate)", f"USE best of e5's top {TOP}")):
        auc = roc_auc_score(truth, np.r_[on[:, i], off_[:, i]])
        print(f"{name}: AUC {auc:.3f}")
        for cap in (0.01, 0.02, 0.05):
            t = float(np.quantile(on[:, i], cap))
            print(f"  refusing {cap:.0%} on topic (threshold {t:.3f}): off topic passes "
                  f"{(off_[:, i] >= t).mean():.3f}")  # fmt: skip
    for t in (settings.abstain_threshold_en, settings.abstain_threshold):
        print(f"e5 at {t:.2f}: on topic refused {(on[:, 0] < t).mean():.3f}, "
              f"off topic passes {(off_[:, 0] >= t).mean():.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
