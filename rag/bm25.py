"""BM25 through bm25s over our own tokens, and the file that keeps them beside the index.

The tokens are ours (`rag.text.keyword_tokens`: stopwords out, Sastrawi stemming, the slow
part): bm25s gets their ids and our vocabulary, never its own tokenizer or stemmer, and
precomputes every (chunk, term) weight into a sparse matrix, so a query sums a few columns.
`save` writes the tokenized chunks and that matrix as one file, atomically; `load` reads it
back and checks it. `rag.retrieve.BM25Index` keeps them up to the store's committed run.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag import text

FORMAT = 1  # of the saved file
K1, B = 1.2, 0.75
Stem = Callable[[str], str]
Key = tuple[str, str, int]  # (collection name, collection id, committed run)


def tokenizer_id(stem: Stem | None) -> str:
    """What saved tokens depend on: the tokenizer's code (rag/text.py) and the stemmer."""
    name = "none"
    if stem is not None:
        module = getattr(stem, "__module__", type(stem).__module__)
        name = f"{module}.{getattr(stem, '__qualname__', type(stem).__qualname__)}"
        if isinstance(stem, text.Stemmer):
            name += "/" + importlib.metadata.version("pysastrawi")
    code = Path(text.__file__).read_bytes()
    return hashlib.sha256(code + f"{FORMAT}/{name}".encode()).hexdigest()[:12]


@dataclass
class TokenCorpus:
    """Every chunk's tokens, as ids into one vocabulary."""

    ids: list[str]
    tokens: np.ndarray  # int32: the chunks' token ids one after another
    offsets: np.ndarray  # int64: chunk i is tokens[offsets[i] : offsets[i + 1]]
    vocab: list[str]
    index: dict[str, int] = field(init=False, repr=False)  # word -> id

    def __post_init__(self) -> None:
        self.index = {w: j for j, w in enumerate(self.vocab)}

    @classmethod
    def empty(cls) -> TokenCorpus:
        return cls([], np.zeros(0, np.int32), np.zeros(1, np.int64), [])

    def __len__(self) -> int:
        return len(self.ids)

    def token_lists(self) -> list[list[int]]:
        if not self.ids:
            return []
        return [part.tolist() for part in np.split(self.tokens, self.offsets[1:-1])]

    def update(self, ids: Sequence[str], new: dict[str, list[str]]) -> TokenCorpus:
        """The corpus of `ids`, in that order: a chunk in `new` (id -> tokens) from there, any
        other from this corpus. Words no chunk uses any more leave the vocabulary."""
        at = {cid: i for i, cid in enumerate(self.ids)}
        index = dict(self.index)
        parts: list[np.ndarray] = []
        for cid in ids:
            if cid in new:
                words = new[cid]
                ids_of = [index.setdefault(w, len(index)) for w in words]
                parts.append(np.asarray(ids_of, dtype=np.int32))
            else:
                i = at[cid]
                parts.append(self.tokens[self.offsets[i] : self.offsets[i + 1]])
        tokens = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
        offsets = np.zeros(len(parts) + 1, np.int64)
        np.cumsum([len(p) for p in parts], out=offsets[1:])
        vocab = list(index)
        used = np.unique(tokens)
        if len(used) < len(vocab):
            remap = np.full(len(vocab), -1, np.int32)
            remap[used] = np.arange(len(used), dtype=np.int32)
            tokens, vocab = remap[tokens], [vocab[j] for j in used]
        return TokenCorpus(list(ids), tokens, offsets, vocab)

    def check(self) -> None:
        """Raises ValueError unless the arrays fit together (a damaged file)."""
        o = self.offsets
        if not (_ints(self.tokens) and _ints(o) and all(isinstance(i, str) for i in self.ids)):
            raise ValueError("wrong types")
        if len(o) != len(self.ids) + 1 or o[0] != 0 or o[-1] != len(self.tokens):
            raise ValueError("offsets do not match the chunks")
        if np.any(np.diff(o) < 0) or len(self.index) != len(self.vocab):
            raise ValueError("bad offsets or vocabulary")
        if len(self.tokens) and (self.tokens.min() < 0 or self.tokens.max() >= len(self.vocab)):
            raise ValueError("token ids outside the vocabulary")


def _ints(array: np.ndarray) -> bool:
    return array.ndim == 1 and np.issubdtype(array.dtype, np.integer)


def library() -> Any:
    """The bm25s module (imported on first use: 0.35 s)."""
    import bm25s  # type: ignore[import-untyped]

    return bm25s


class Okapi:
    """BM25 scores from bm25s's "lucene" variant: IDF log(1 + (N - df + 0.5) / (df + 0.5)),
    positive even for a term in most chunks (the classic IDF goes to zero or below on small
    collections). Its weights leave out Okapi's constant factor (k1 + 1); it is multiplied
    back, so the scores are the textbook ones (and the same as before bm25s)."""

    def __init__(self, model: Any, n: int) -> None:
        self._model = model  # None: no chunk has a word
        self.n = n

    @staticmethod
    def _new(k1: float, b: float) -> Any:
        return library().BM25(k1=k1, b=b, method="lucene", dtype="float64", backend="numpy")

    @classmethod
    def build(cls, corpus: TokenCorpus, k1: float = K1, b: float = B) -> Okapi:
        if not corpus.vocab:
            return cls(None, len(corpus))
        model = cls._new(k1, b)
        model.index(
            (corpus.token_lists(), corpus.index), create_empty_token=False, show_progress=False
        )
        model.scores["data"] *= k1 + 1
        return cls(model, len(corpus))

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, np.ndarray], corpus: TokenCorpus, k1: float = K1, b: float = B
    ) -> Okapi:
        """The matrix as `arrays` saved it (checked: raises ValueError if damaged)."""
        data, indices, indptr = arrays["data"], arrays["indices"], arrays["indptr"]
        n, nv = len(corpus), len(corpus.vocab)
        if not (_ints(indices) and _ints(indptr) and data.dtype == np.float64 and data.ndim == 1):
            raise ValueError("wrong types")
        if len(indptr) != nv + 1 or indptr[0] != 0 or not indptr[-1] == len(data) == len(indices):
            raise ValueError("bad BM25 matrix")
        if len(indices) and (indices.min() < 0 or indices.max() >= n):
            raise ValueError("BM25 matrix rows outside the chunks")
        if not nv:
            return cls(None, n)
        model = cls._new(k1, b)  # what bm25s.BM25.load sets, from our file
        model.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": n}
        model.vocab_dict = corpus.index
        model.unique_token_ids_set = set(corpus.index.values())
        model.nonoccurrence_array = None
        return cls(model, n)

    def arrays(self) -> dict[str, np.ndarray]:
        if self._model is None:
            # no words: an empty matrix
            return {
                "data": np.zeros(0),
                "indices": np.zeros(0, np.int32),
                "indptr": np.zeros(1, np.int64),
            }
        s = self._model.scores
        return {"data": s["data"], "indices": s["indices"], "indptr": s["indptr"]}

    def scores(self, tokens: list[str]) -> np.ndarray:
        """Every chunk's score for the query `tokens` (words not in the corpus count 0)."""
        ids = self._model.get_tokens_ids(tokens) if self._model is not None else []
        if not ids:
            return np.zeros(self.n)
        return np.asarray(self._model.get_scores_from_ids(ids), dtype=np.float64)


def _packed(value: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode(), dtype=np.uint8)


def _unpacked(array: np.ndarray) -> Any:
    return json.loads(array.tobytes().decode())


def save(path: Path, header: dict[str, Any], corpus: TokenCorpus, okapi: Okapi) -> None:
    """Write the file whole or not at all: to a temporary file, then os.replace."""
    arrays: dict[str, Any] = {
        "header": _packed(header), "ids": _packed(corpus.ids), "vocab": _packed(corpus.vocab),
        "tokens": corpus.tokens, "offsets": corpus.offsets, **okapi.arrays(),
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with tmp.open("wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load(path: Path) -> tuple[dict[str, Any], TokenCorpus, Okapi]:
    """Read what `save` wrote; raises on a missing or damaged file."""
    with np.load(path, allow_pickle=False) as z:
        header = _unpacked(z["header"])
        if header.get("format") != FORMAT or (header.get("k1"), header.get("b")) != (K1, B):
            raise ValueError(f"written with other settings: {header}")
        corpus = TokenCorpus(_unpacked(z["ids"]), z["tokens"], z["offsets"], _unpacked(z["vocab"]))
        corpus.check()
        okapi = Okapi.from_arrays({k: z[k] for k in ("data", "indices", "indptr")}, corpus)
    return header, corpus, okapi


def stamp(path: Path) -> tuple[int, int, int] | None:
    """Changes whenever the file is replaced; None when there is none."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino
