"""The answerability calibration tooling (`evals.answerability`): threshold choice and
recalibrating the judge without touching the trained model."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np

from evals.answerability import calibrate, pick_threshold, sample, split
from rag.answerable import CUES, WEIGHTS


def test_threshold_refuses_at_most_the_cap_of_answerable_questions() -> None:
    p = np.array([0.20, 0.62, 0.70, 0.80, 0.90, 0.10, 0.30, 0.65])
    answerable = np.array([True, True, True, True, True, False, False, False])
    # no answerable question may be refused: just above .20 would refuse the first
    assert pick_threshold(p, answerable, cap=0.0) == 0.2
    # one in five may: the next answerable one (.62) bounds it, catching .30 but not .65
    assert pick_threshold(p, answerable, cap=0.2) == 0.62


def test_held_apart_part_keeps_a_paragraph_together_and_samples_are_seeded() -> None:
    rows = [{"qid": f"q{i}", "relevant": [f"p{i // 3}"]} for i in range(300)]
    held = split(rows)
    by_paragraph: dict[str, set[bool]] = {}
    for r, h in zip(rows, held, strict=True):
        by_paragraph.setdefault(r["relevant"][0], set()).add(bool(h))
    assert all(len(sides) == 1 for sides in by_paragraph.values())
    assert held.sum() == 60  # 20 of the 100 paragraphs
    pool = np.flatnonzero(held)
    first, again = sample(pool, 25), sample(pool, 25)
    assert len(first) == 25 and list(first) == list(again) and set(first) <= set(pool)
    assert list(sample(pool, None)) == list(pool)


def test_calibrate_sets_the_judge_thresholds_and_keeps_the_model(tmp_path: Path) -> None:
    weights = tmp_path / "answerability.json"
    shutil.copy(WEIGHTS, weights)
    before = json.loads(weights.read_text())
    dim = (len(before["coef"]) - len(CUES)) // 2
    rng = np.random.default_rng(0)
    rows = []
    for i in range(60):
        answerable = i % 2 == 0
        vector = rng.normal(size=dim).astype(np.float32)
        rows.append({
            "qid": f"q{i}", "question": "Berapa lapis flash NAND yang dibuat China?",
            "answerable": answerable, "lang": "id",
            "top": [("China membuat flash NAND 128 lapis.", 0.9, "d1")],
            "chunks": "China membuat flash NAND 128 lapis.", "relevant": ["d1"],
            "query": vector, "best": vector,
            # answerable ones say yes (.6-.9), near misses no (.1-.4)
            "judge": 0.6 + 0.3 * rng.random() if answerable else 0.1 + 0.3 * rng.random(),
        })  # fmt: skip
    collected = tmp_path / "held.pkl"
    collected.write_bytes(pickle.dumps({"data": "x", "rows": rows}))

    thresholds = calibrate(collected, cap=0.0, weights=weights)

    after = json.loads(weights.read_text())
    low_yes = min(r["judge"] for r in rows if r["answerable"])
    high_no = max(r["judge"] for r in rows if not r["answerable"])
    assert high_no < thresholds["judge"] <= low_yes
    assert after["thresholds"] == thresholds
    assert thresholds["model"] == before["thresholds"]["model"]
    assert after["judge_calibrated_on"] == 60
    for key in ("coef", "mean", "scale", "intercept", "trained_on"):
        assert after[key] == before[key]
