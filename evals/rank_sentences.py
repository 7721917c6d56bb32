"""Which sentence of the relevant passage answers? The evidence scorer and its variants.

    .venv/bin/python -m evals.rank_sentences ../shared/data/tydiqa_id_valid:300 \
        ../shared/data/idk_mrc_valid:300 ../shared/data/belebele_en_dev:300

For a seeded sample of answerable questions, the relevant passage is split into sentences
(as the answer stage splits chunks) and each variant ranks them; printed: how often the answer
sentence comes first and among the 4 the LLM's prompt holds. The answer sentence is the one
containing a gold answer; for Belebele, whose answers are the multiple-choice option's text,
the sentence covering most (at least half) of the option's stemmed words. Passages with fewer
than three sentences, or none or every sentence labelled, are skipped.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunks import split_sentences
from rag.config import Settings
from rag.embeddings import EmbeddingCache, make_cross_embeddings, make_embeddings
from rag.text import Stemmer, keyword_tokens

Features = dict[str, np.ndarray]
Sample = tuple[str, list[str], list[bool]]  # question, sentences, answer labels

VARIANTS: dict[str, Callable[[Features], np.ndarray]] = {
    "shipped: e5 + 0.02 overlap": lambda f: f["e5"] + 0.02 * f["overlap"],
    "e5": lambda f: f["e5"],
    "e5 + 0.05 stemmed overlap": lambda f: f["e5"] + 0.05 * f["stemmed"],
    "e5 + 0.1 stemmed overlap": lambda f: f["e5"] + 0.1 * f["stemmed"],
    "e5 + 0.2 stemmed overlap": lambda f: f["e5"] + 0.2 * f["stemmed"],
    "USE": lambda f: f["use"],
    "e5 + 0.3 USE": lambda f: f["e5"] + 0.3 * f["use"],
    "e5 + 0.5 USE": lambda f: f["e5"] + 0.5 * f["use"],
    "e5 + 0.5 USE + 0.1 stemmed": lambda f: f["e5"] + 0.5 * f["use"] + 0.1 * f["stemmed"],
}


def load(folder: Path, n: int, stem: Stemmer, seed: int = 0) -> list[Sample]:
    """Up to `n` labelled answerable questions of `folder`, a seeded sample."""

    def rows(name: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (folder / name).read_text("utf-8").splitlines()]

    corpus = {d["doc_id"]: d["text"] for d in rows("corpus.jsonl")}
    questions = [q for q in rows("questions.jsonl") if q["answerable"]]
    random.Random(seed).shuffle(questions)
    out: list[Sample] = []
    for q in questions:
        text = corpus[q["relevant"][0]]
        sents = [text[a:b] for a, b in split_sentences(text)]
        if q["lang"] == "id":
            labels = [any(a.lower() in s.lower() for a in q["answers"]) for s in sents]
        else:
            option = set(keyword_tokens(q["answers"][0], stem))
            cover = [
                len(option & set(keyword_tokens(s, stem))) / len(option or {""}) for s in sents
            ]
            labels = [c == max(cover) and c >= 0.5 for c in cover]
        if len(sents) >= 3 and any(labels) and not all(labels):
            out.append((q["question"], sents, labels))
        if len(out) == n:
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="FOLDER:N, e.g. ../shared/data/facqa_valid:300")
    args = parser.parse_args()
    settings = Settings()
    e5, use = make_embeddings(settings), make_cross_embeddings(settings)
    assert use is not None, "the cross-lingual embedder is needed"
    e5_cache, use_cache, stem = EmbeddingCache(e5), EmbeddingCache(use), Stemmer()
    for spec in args.sets:
        folder, n = spec.rsplit(":", 1)
        samples = load(Path(folder), int(n), stem)
        firsts = dict.fromkeys(VARIANTS, 0)
        fours = dict.fromkeys(VARIANTS, 0)
        for question, sents, labels in samples:
            words, stems = set(keyword_tokens(question)), set(keyword_tokens(question, stem))
            f = {
                "e5": e5_cache(sents) @ e5.embed_query_np(question),
                "use": use_cache(sents) @ use.embed_query_np(question),
                "overlap": np.array([len(words & set(keyword_tokens(s))) for s in sents])
                / max(len(words), 1),
                "stemmed": np.array([len(stems & set(keyword_tokens(s, stem))) for s in sents])
                / max(len(stems), 1),
            }
            for name, score in VARIANTS.items():
                order = list(np.argsort(-score(f), kind="stable"))
                rank = min(order.index(i) for i, label in enumerate(labels) if label)
                firsts[name] += rank == 0
                fours[name] += rank < 4
        per = np.mean([len(s) for _, s, _ in samples])
        print(f"{folder}: {len(samples)} questions, {per:.1f} sentences a passage")
        for name in VARIANTS:
            print(f"  {name:30s} first {firsts[name] / len(samples):.3f}  "
                  f"in 4 {fours[name] / len(samples):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
