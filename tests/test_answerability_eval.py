"""The answerability calibration tooling (`evals.answerability`): threshold choice and
recalibrating the judge without touching the trained model."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any

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


def _rows(dim: int, judge: list[float], answerable: list[bool]) -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(len(judge)):
        vector = rng.normal(size=dim).astype(np.float32)
        rows.append({
            "qid": f"q{i}", "question": "Berapa lapis flash NAND yang dibuat China?",
            "answerable": answerable[i], "lang": "id",
            "top": [("China membuat flash NAND 128 lapis.", 0.9, "d1")],
            "chunks": "China membuat flash NAND 128 lapis.", "relevant": ["d1"],
            "query": vector, "best": vector, "judge": judge[i],
        })  # fmt: skip
    return rows


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(pickle.dumps({"data": "x", "rows": rows}))
    return path


def _weights(tmp_path: Path) -> tuple[Path, dict[str, Any], int]:
    weights = tmp_path / "answerability.json"
    shutil.copy(WEIGHTS, weights)
    before = json.loads(weights.read_text())
    return weights, before, (len(before["coef"]) - len(CUES)) // 2


def test_calibrate_sets_the_judge_thresholds_and_keeps_the_model(tmp_path: Path) -> None:
    weights, before, dim = _weights(tmp_path)
    rng = np.random.default_rng(0)
    answerable = [i % 2 == 0 for i in range(60)]
    # answerable ones say yes (.6-.9), near misses no (.1-.4)
    judge = [0.6 + 0.3 * rng.random() if a else 0.1 + 0.3 * rng.random() for a in answerable]
    rows = _rows(dim, judge, answerable)
    collected = _write(tmp_path / "held.pkl", rows)

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


def test_an_answerable_set_lowers_the_threshold_to_its_own_cap(tmp_path: Path) -> None:
    weights, _, dim = _weights(tmp_path)
    answerable = [i % 2 == 0 for i in range(60)]
    held = _write(
        tmp_path / "held.pkl", _rows(dim, [0.8 if a else 0.3 for a in answerable], answerable)
    )
    # news questions the judge is less sure of: at .8's threshold all of them would be refused
    news = _write(
        tmp_path / "news.pkl", _rows(dim, [0.5 + i / 1000 for i in range(50)], [True] * 50)
    )

    alone = calibrate(held, cap=0.0, weights=weights)["judge"]
    capped = calibrate(held, cap=0.0, weights=weights, answerable_sets=(news,))["judge"]

    assert alone == 0.8  # the held set alone: just under its answerable questions
    assert capped == 0.5  # no news question below it
    assert json.loads(weights.read_text())["judge_capped_by"] == {"news.pkl": 50}
