"""Data sets in the shared layout: `corpus.jsonl` + `questions.jsonl` (see ../shared/data)."""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import rag
from rag.articles import slug
from rag.config import Settings
from rag.service import RagService


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    lang: str
    relevant: frozenset[str]  # doc ids as the index spells them
    answers: tuple[str, ...]
    answerable: bool
    # facts a complete answer states: each a tuple of acceptable strings (any language)
    required: tuple[tuple[str, ...], ...] = ()


def load_questions(folder: Path, limit: int | None = None) -> list[Question]:
    out = []
    with (folder / "questions.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            q = json.loads(line)
            out.append(
                Question(
                    q["qid"], q["question"], q.get("lang", "id"),
                    frozenset(slug(d) for d in q.get("relevant", [])),
                    tuple(q.get("answers", [])), bool(q.get("answerable", True)),
                    tuple(tuple(fact) for fact in q.get("required", [])),
                )
            )  # fmt: skip
            if limit and len(out) >= limit:
                break
    return out


def corpus_service(folder: Path, cache: Path, settings: Settings) -> RagService:
    """A service over the data set's corpus in its own index under `cache`, built once and
    reused while the corpus and the index-shaping settings are unchanged."""
    corpus = folder / "corpus.jsonl"
    shape = f"{corpus.stat().st_size}:{corpus.stat().st_mtime_ns}:{settings.chunk_size}:"
    shape += f"{settings.chunk_overlap}:{settings.embedder}:{settings.embed_model}"
    # code that shapes the chunks is part of the key, so a change there rebuilds the index
    for stage in ("articles.py", "formats.py", "dates.py", "chunks.py", "boilerplate.toml"):
        shape += hashlib.sha256((Path(rag.__file__).parent / stage).read_bytes()).hexdigest()
    key = hashlib.sha256(shape.encode()).hexdigest()[:12]
    index_dir = cache / f"{folder.name}-{key}"
    # the gold labels name passages: a passage that repeats another is still its own answer
    update = {"index_dir": index_dir, "near_duplicates": "index"}
    svc = RagService(settings.model_copy(update=update))
    cross = svc.cross_store
    if svc.store.count() == 0 or (cross is not None and cross.committed != svc.store.committed):
        svc.build_index([corpus])  # incremental: only fills what is missing
    return svc


def study_args(doc: str, default_out: str) -> argparse.Namespace:
    """Command-line arguments shared by the study scripts (datasets, limit, cache, out)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--cache", type=Path, default=Path(".rag/eval-cache"))
    parser.add_argument("--out", type=Path, default=Path(default_out))
    return parser.parse_args()
