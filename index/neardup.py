"""Near-duplicate articles (the same wire story syndicated twice): MinHash over word shingles,
with LSH banding so a new article is compared only with likely matches."""

from __future__ import annotations

import hashlib
import re

import numpy as np

PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: a pair at Jaccard 0.8 is a candidate with p > 0.999
SHINGLE = 5  # words
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20261125)  # fixed: signatures are stored in the index
# 32-bit a, b and x keep a * x + b below 2**64 (no silent uint64 overflow)
_A = _rng.integers(1, 1 << 32, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, 1 << 32, PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"\w+")


def signature(text: str) -> np.ndarray:
    """64 MinHash values (uint32) of the text's lower-cased 5-word shingles."""
    words = _WORD.findall(text.lower())
    n = max(len(words) - SHINGLE + 1, 1)
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(n)}
    hashes = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
            & 0xFFFFFFFF
            for s in shingles
        ),
        dtype=np.uint64,
        count=len(shingles),
    )
    mixed = (np.outer(hashes, _A) + _B) % np.uint64(_PRIME)
    low: np.ndarray = (mixed.min(axis=0) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return low


def encode(sig: np.ndarray) -> str:
    return sig.astype("<u4").tobytes().hex()


def decode(text: str) -> np.ndarray | None:
    try:
        sig = np.frombuffer(bytes.fromhex(text), dtype="<u4")
    except ValueError:
        return None
    return sig if len(sig) == PERMUTATIONS else None


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two articles' shingle sets."""
    return float(np.mean(a == b))


class NearDuplicates:
    """An LSH index of signatures: `match` finds an indexed article at least `threshold`
    similar (estimated Jaccard), `add` puts one in."""

    def __init__(self, threshold: float = 0.8) -> None:
        self.threshold = threshold
        self._sigs: dict[str, np.ndarray] = {}
        self._buckets: dict[tuple[int, bytes], list[str]] = {}

    def _bands(self, sig: np.ndarray) -> list[tuple[int, bytes]]:
        rows = PERMUTATIONS // BANDS
        return [(b, sig[b * rows : (b + 1) * rows].tobytes()) for b in range(BANDS)]

    def add(self, doc_id: str, sig: np.ndarray) -> None:
        self._sigs[doc_id] = sig
        for key in self._bands(sig):
            self._buckets.setdefault(key, []).append(doc_id)

    def match(self, sig: np.ndarray, exclude: str | None = None) -> tuple[str, float] | None:
        """The most similar indexed article at or above the threshold, if any."""
        best: tuple[str, float] | None = None
        seen: set[str] = set()
        for key in self._bands(sig):
            for doc_id in self._buckets.get(key, ()):
                if doc_id in seen or doc_id == exclude:
                    continue
                seen.add(doc_id)
                sim = similarity(sig, self._sigs[doc_id])
                if sim >= self.threshold and (best is None or sim > best[1]):
                    best = (doc_id, sim)
        return best
