"""Helpers shared by the tests (fixtures are in conftest.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from evals.support import HashEmbeddings, free_port

if TYPE_CHECKING:
    from rag.service import RagService

__all__ = [
    "CHIP_SENTENCE", "CHROMIUM", "FLAGS", "REPO", "SEEDS", "HashEmbeddings", "free_port", "served",
]  # fmt: skip

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
CHIP_SENTENCE = (
    "Sementara itu, China tunduk pada pembatasan produksi chip, yang hanya dapat membuat "
    "chip 14nm, DRAM 18nm, dan flash NAND 3D 128 lapis."
)

# the end-to-end tests drive Debian's chromium through Playwright
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@contextmanager
def served(service: RagService) -> Iterator[str]:
    """The app over `service` on a free loopback port, for the `with`: its URL."""
    from ui.app import launch

    port = free_port()
    demo = launch(service, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
