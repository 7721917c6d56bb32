"""Helpers shared by the benchmarks and the tests (never imported by `rag`, `index` or `ui`)."""

from __future__ import annotations

import hashlib

import numpy as np

from rag.embeddings import ModelEmbeddings
from rag.llm_server import free_loopback_port


class HashEmbeddings(ModelEmbeddings):
    """A fake embedder: a bag of hashed words, L2-normalized. For logic tests and for
    benchmarks that never embed for real (a no-change re-run); never a product backend."""

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


def free_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    return free_loopback_port()
