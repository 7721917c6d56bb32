"""Are `rag.terms`' English forms what human translators write? Per term: the
mt_news_en2id_valid pairs whose Indonesian uses it, how many of their English references say
one of its forms, and how many news_id articles use it.

    .venv/bin/python -m evals.terms [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rag.terms import TERMS, says, terms_in


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    mt = args.data / "mt_news_en2id_valid"
    indonesian = {d["doc_id"]: d["text"] for d in _rows(mt / "corpus.jsonl")}
    pairs = [(indonesian[q["relevant"][0]], q["question"]) for q in _rows(mt / "questions.jsonl")]
    found = {t: 0 for t in TERMS}
    agree = {t: 0 for t in TERMS}
    for source, reference in pairs:
        for term in terms_in(source):
            found[term] += 1
            agree[term] += says(reference, term)
    news = dict.fromkeys(TERMS, 0)
    for article in _rows(args.data / "news_id" / "articles.jsonl"):
        for term in terms_in(article["text"]):
            news[term] += 1
    print(f"{'term':26s} {'mt pairs':>8s} {'agree':>6s} {'news articles':>14s}")
    for term in TERMS:
        print(f"{term:26s} {found[term]:8d} {agree[term]:6d} {news[term]:14d}")
    total, ok = sum(found.values()), sum(agree.values())
    share = ok / max(total, 1)
    used = sum(1 for n in news.values() if n)
    print(f"all terms: {ok} of {total} uses rendered with a listed form ({share:.3f}); "
          f"{used} of {len(TERMS)} terms occur in news_id")  # fmt: skip


if __name__ == "__main__":
    main()
