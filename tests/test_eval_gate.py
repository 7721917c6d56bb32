"""The CI quality gate: the project's gold set and a fixed 100-question FacQA sample must stay
at or above the thresholds in evals/gate.toml (set just under the values measured when set)."""

from __future__ import annotations

import math
import os
import tomllib
from pathlib import Path

import pytest

from evals.runner import run_eval, write_outputs
from rag.config import Settings

pytestmark = pytest.mark.slow  # the quality gate indexes and asks whole data sets

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
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


def _dataset(name: str) -> Path:
    if name == "gold":
        return REPO / "evals" / "gold"
    folder = SHARED / name
    if not folder.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{folder} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"{folder} not present")
    return folder


@pytest.mark.parametrize("name", sorted(GATE))
def test_quality_gate(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    spec = dict(GATE[name])
    sample = spec.pop("sample", None)
    dataset = spec.pop("dataset", name)
    cache = tmp_path_factory.mktemp(f"gate-{name}")
    settings = Settings(index_dir=cache, models_dir=cache / "models", llm=spec.pop("llm", "none"))
    result = run_eval(_dataset(dataset), settings, sample=sample, seed=0)
    write_outputs(result, cache / "out")  # the reports must render for real data too
    failures = _check(result.report["summary"], spec)
    assert not failures, f"{name}: " + "; ".join(failures)
