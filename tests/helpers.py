"""Helpers shared by the tests (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from evals.support import HashEmbeddings, free_port

__all__ = ["CHIP_SENTENCE", "REPO", "SEEDS", "HashEmbeddings", "free_port"]

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
CHIP_SENTENCE = (
    "Sementara itu, China tunduk pada pembatasan produksi chip, yang hanya dapat membuat "
    "chip 14nm, DRAM 18nm, dan flash NAND 3D 128 lapis."
)
