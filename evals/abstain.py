"""Tune the abstention threshold: how often each threshold abstains on answerable and on
unanswerable questions, with the extractive answer path the chat uses.

    python -m evals.abstain ../shared/data/idk_mrc_valid ../shared/data/tydiqa_id_valid
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from evals.datasets import corpus_service, load_questions, study_args
from rag.config import Settings
from rag.service import make_extractive
from rag.text import identifiers, keyword_tokens, words

THRESHOLDS = [round(t, 3) for t in np.arange(0.78, 0.905, 0.005)]


def collect(folder: Path, cache: Path, settings: Settings, limit: int | None) -> list[dict]:
    """Per question: best sentence score, missing identifiers, answerable, gold in best sentence."""
    svc = corpus_service(folder, cache, settings)
    gen = svc.extractive  # the gate the answer passes with or without an LLM
    # the same sentence embeddings serve every mode: same model, same sentences
    modes = {
        m: make_extractive(
            svc.settings.model_copy(update={"answer_types": m}), svc.embeddings, gen.cache
        )
        for m in ("off", "abstain")
    }
    rows = []
    for q in load_questions(folder, limit):
        chunks = svc.retriever.invoke(q.question)
        ranked = gen.score(q.question, chunks)
        evidence = {w for c in chunks for w in words(c.page_content)}
        best = ranked[0] if ranked else None
        decided = gen.generate(q.question, chunks)
        by_mode = {m: g.generate(q.question, chunks) for m, g in modes.items()}
        q_kw = set(keyword_tokens(q.question))
        top_kw = {t for c in chunks[:3] for t in keyword_tokens(c.page_content)}
        rows.append(
            {
                "qid": q.qid,
                "answerable": q.answerable,
                "score": best.score if best else 0.0,
                "missing_ids": bool(identifiers(q.question) - evidence),
                "gold_in_best": bool(best) and any(a in best.text for a in q.answers),
                "coverage": len(q_kw & top_kw) / len(q_kw) if q_kw else 1.0,
                "abstained": decided.abstained,
                "supported": any(a in c.quote for c in decided.citations for a in q.answers),
                **{
                    f"{m}_{key}": value
                    for m, d in by_mode.items()
                    for key, value in (
                        ("abstained", d.abstained),
                        ("supported", any(a in c.quote for c in d.citations for a in q.answers)),
                    )
                },
                "lang": q.lang,
            }
        )
    return rows


def sweep(rows: list[dict]) -> list[dict]:
    out = []
    for t in THRESHOLDS:
        abstain = np.array([r["score"] < t or r["missing_ids"] for r in rows])
        unans = np.array([not r["answerable"] for r in rows])
        tp = int((abstain & unans).sum())
        out.append(
            {
                "threshold": t,
                "abstain_rate": float(abstain.mean()),
                "abstain_precision": tp / abstain.sum() if abstain.sum() else 0.0,
                "abstain_recall": tp / unans.sum() if unans.sum() else float("nan"),
                "answered_answerable": float((~abstain & ~unans).sum() / max((~unans).sum(), 1)),
            }
        )
    return out


def default_path(rows: list[dict]) -> dict[str, float]:
    """What the shipped generator decided: abstention quality and answers holding gold text."""
    ab = np.array([r["abstained"] for r in rows])
    un = np.array([not r["answerable"] for r in rows])
    tp = int((ab & un).sum())
    return {
        "abstain_rate": round(float(ab.mean()), 4),
        "abstain_precision": round(tp / ab.sum(), 4) if ab.sum() else 0.0,
        "abstain_recall": round(tp / un.sum(), 4) if un.sum() else float("nan"),
        "false_abstain_rate": round(float((ab & ~un).sum() / max((~un).sum(), 1)), 4),
        "answer_supported": round(
            sum(r["supported"] for r in rows if r["answerable"]) / max((~un).sum(), 1), 4
        ),
    }


def main() -> None:
    args = study_args(__doc__, "bench-out/abstain.json")
    results = {}
    for folder in args.datasets:
        rows = collect(folder, args.cache, Settings(), args.limit)
        table = sweep(rows)
        default = default_path(rows)
        results[folder.name] = {"rows": rows, "sweep": table, "default": default}
        print(f"\n{folder.name} default answer path: {json.dumps(default)}")
        for m in ("off", "abstain"):
            renamed = [{**r, "abstained": r[f"{m}_abstained"], "supported": r[f"{m}_supported"]}
                       for r in rows]  # fmt: skip
            print(f"{folder.name} answer_types={m}: {json.dumps(default_path(renamed))}")
        print(f"\n{folder.name}: {len(rows)} questions, {sum(not r['answerable'] for r in rows)} "
              "unanswerable")  # fmt: skip
        print(f"{'thr':>6} {'abstain%':>9} {'abs-prec':>9} {'abs-rec':>8} {'answered(ans)':>14}")
        for r in table:
            print(
                f"{r['threshold']:6.3f} {r['abstain_rate']:9.3f} {r['abstain_precision']:9.3f} "
                f"{r['abstain_recall']:8.3f} {r['answered_answerable']:14.3f}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
