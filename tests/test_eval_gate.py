"""The CI quality gate: the project's gold set and a fixed 100-question FacQA sample must stay
at or above the thresholds in evals/gate.toml (set just under the values measured when set).
Both data sets are in the repository (evals/gold, evals/facqa_sample), so the gate never skips:
it runs the same on a fresh clone without ../shared as in CI."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

from evals.runner import run_eval, write_outputs
from rag.config import Settings

pytestmark = pytest.mark.slow  # the quality gate indexes and asks whole data sets

REPO = Path(__file__).resolve().parent.parent
GATE = tomllib.loads((REPO / "evals" / "gate.toml").read_text())


def _check(summary: dict[str, float], thresholds: dict[str, float]) -> list[str]:
    failures = []
    for key, minimum in thresholds.items():
        value = summary[key]
        if key.startswith("latency"):
            if not value <= minimum:
                failures.append(f"{key} = {value:.1f} > {minimum}")
        elif math.isnan(value) or value < minimum:
            failures.append(f"{key} = {value:.3f} < {minimum}")
    return failures


def _dataset(path: str) -> Path:
    """A section's `dataset`, relative to the repository: the gate's data is carried in it."""
    folder = REPO / path
    if not (folder / "corpus.jsonl").is_file() or not (folder / "questions.jsonl").is_file():
        pytest.fail(f"{folder}: the gate's data set is missing from the repository (gate.toml)")
    return folder


@pytest.mark.parametrize("name", sorted(GATE))
def test_quality_gate(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    spec = dict(GATE[name])
    sample = spec.pop("sample", None)
    dataset = spec.pop("dataset", f"evals/{name}")
    cache = tmp_path_factory.mktemp(f"gate-{name}")
    settings = Settings(index_dir=cache, models_dir=cache / "models", llm=spec.pop("llm", "none"))
    result = run_eval(_dataset(dataset), settings, sample=sample, seed=0)
    write_outputs(result, cache / "out")  # the reports must render for real data too
    failures = _check(result.report["summary"], spec)
    assert not failures, f"{name}: " + "; ".join(failures)
