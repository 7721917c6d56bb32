"""Chunking time against article size: it must grow linearly (issue: sentence splitting was
quadratic in paragraph length, and the content hash was recomputed for every chunk).

    python -m evals.bench_chunking [--sizes 1 4 20]

Articles of 1, 4 and 20 MB of real news text (the seed article repeated), as one paragraph
and as many; prints seconds for splitting, chunking (with the content hash) and both per MB.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rag.articles import Article
from rag.chunks import chunk_article, split_sentences

SEED = Path(__file__).resolve().parent.parent / "seeds"


def article(mb: float, one_paragraph: bool) -> Article:
    text = "\n\n".join(p.read_text("utf-8") for p in sorted(SEED.glob("*.txt")))
    if one_paragraph:
        text = " ".join(text.split())
    size = int(mb * 1024 * 1024)
    joiner = " " if one_paragraph else "\n\n"
    body = joiner.join([text] * (size // len(text) + 1))[:size]
    return Article(doc_id="bench", title="bench", text=body, source="bench", published=None,
                   path="bench")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 4, 20])
    args = parser.parse_args()
    print(f"{'MB':>5} {'layout':<14} {'sentences':>9} {'chunks':>7} {'split s':>8} "
          f"{'chunk s':>8} {'s per MB':>8}")  # fmt: skip
    for one in (True, False):
        for mb in args.sizes:
            art = article(mb, one)
            t0 = time.perf_counter()
            spans = split_sentences(art.text)
            t1 = time.perf_counter()
            docs = chunk_article(art)
            t2 = time.perf_counter()
            layout = "one paragraph" if one else "paragraphs"
            print(f"{mb:>5g} {layout:<14} {len(spans):>9} {len(docs):>7} {t1 - t0:>8.2f} "
                  f"{t2 - t1:>8.2f} {(t2 - t0) / mb:>8.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
