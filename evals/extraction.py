"""Body-text extraction quality on real saved pages (evals/html): word-shingle P/R/F1.

    .venv/bin/python -m evals.extraction [--only ID] [--show-worst N] [--verbose] [--json PATH]

Each page's extracted text is compared with its expected article body as bags (multisets) of
4-word shingles (lower-cased `\\w+` tokens). A page whose extraction raises or returns nothing
is "dropped" and scores 0 in the macro means.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "html"
N = 4
_WORD = re.compile(r"\w+")

Extractor = Callable[[str, str | None], str]


@dataclass(frozen=True)
class Page:
    id: str
    lang: str
    site: str
    url: str | None
    html: str
    expected: str


def load_pages(only: str | None = None, root: Path = DATA) -> list[Page]:
    pages = []
    for line in (root / "manifest.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if only and rec["id"] != only:
            continue
        html = gzip.decompress((root / "pages" / f"{rec['id']}.html.gz").read_bytes())
        expected = (root / "pages" / f"{rec['id']}.txt").read_text("utf-8")
        pages.append(
            Page(rec["id"], rec["lang"], rec["site"], rec.get("url"), html.decode(), expected)
        )
    return pages


def shingles(text: str, n: int = N) -> Counter[tuple[str, ...]]:
    """Bag of n-word shingles; a text of 1..n-1 words is one (short) shingle."""
    toks = [t.lower() for t in _WORD.findall(text)]
    if len(toks) < n:
        return Counter([tuple(toks)] if toks else [])
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def prf(got: str, want: str, n: int = N) -> tuple[float, float, float]:
    """(precision, recall, F1) of `got` against `want`, multiset overlap of shingles."""
    g, w = shingles(got, n), shingles(want, n)
    if not g or not w:
        return 0.0, 0.0, 0.0
    hit = sum((g & w).values())
    p, r = hit / g.total(), hit / w.total()
    return p, r, (2 * p * r / (p + r) if hit else 0.0)


# --- extractors -------------------------------------------------------------------------------


@cache
def _rules() -> Any:
    from rag.articles import Rules

    return Rules.load()


def old(html: str, url: str | None) -> str:
    from rag.articles import clean
    from rag.errors import ArticleError
    from rag.formats import html_text

    try:
        return clean("".join(html_text(html).parts), _rules(), title_from_first_line=False).text
    except ArticleError:
        return ""


def _trafilatura(**opts: bool) -> Extractor:
    def run(html: str, url: str | None) -> str:
        import trafilatura

        args = dict(include_comments=False, include_tables=True, deduplicate=False) | opts
        return trafilatura.extract(html, url=url, **args) or ""

    return run


def extractors() -> dict[str, Extractor]:
    found: dict[str, Extractor] = {
        "old": old,
        "trafilatura": _trafilatura(favor_precision=False),
        "trafilatura-precision": _trafilatura(favor_precision=True),
        "trafilatura-recall": _trafilatura(favor_recall=True),
    }
    try:
        from rag.articles import article_from_html  # type: ignore[attr-defined]
    except ImportError as exc:
        print(f"product: skipped, rag.articles.article_from_html cannot be imported ({exc})")
    else:
        found["product"] = lambda html, url: article_from_html(html, "page", _rules(), url=url).text
    return found


# --- running ----------------------------------------------------------------------------------


@dataclass
class Score:
    id: str
    lang: str
    p: float = 0.0
    r: float = 0.0
    f: float = 0.0
    ms: float = 0.0
    dropped: bool = False
    error: str | None = None


@dataclass
class Run:
    name: str
    scores: list[Score] = field(default_factory=list)

    def summary(self, keep: Callable[[Score], bool] = lambda s: True) -> dict[str, Any]:
        sc = [s for s in self.scores if keep(s)]
        k = len(sc) or 1
        return {
            "pages": len(sc),
            "dropped": sum(s.dropped for s in sc),
            "precision": sum(s.p for s in sc) / k,
            "recall": sum(s.r for s in sc) / k,
            "f1": sum(s.f for s in sc) / k,
            "ms_per_page": sum(s.ms for s in sc) / k,
        }


def evaluate(pages: list[Page], name: str, fn: Extractor) -> Run:
    run = Run(name)
    for page in pages:
        score = Score(page.id, page.lang)
        start = time.perf_counter()
        try:
            text = fn(page.html, page.url)
        except Exception as exc:  # any failure of an extractor is a dropped page
            text, score.error = "", f"{type(exc).__name__}: {exc}"
        score.ms = (time.perf_counter() - start) * 1000
        score.dropped = not text.strip()
        score.p, score.r, score.f = prf(text, page.expected)
        run.scores.append(score)
    return run


def table(runs: list[Run], title: str, keep: Callable[[Score], bool]) -> str:
    cols = ("pages", "dropped", "P", "R", "F1", "ms/page")
    lines = [f"== {title}", f"{'extractor':<22} " + " ".join(f"{c:>7}" for c in cols)]
    for run in runs:
        s = run.summary(keep)
        lines.append(
            f"{run.name:<22} {s['pages']:>7} {s['dropped']:>7} {s['precision']:>7.3f} "
            f"{s['recall']:>7.3f} {s['f1']:>7.3f} {s['ms_per_page']:>7.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", help="evaluate one page id")
    ap.add_argument("--show-worst", type=int, default=0, metavar="N", help="N worst pages each")
    ap.add_argument("--verbose", "-v", action="store_true", help="per-page F1")
    ap.add_argument("--json", type=Path, metavar="PATH", help="write the numbers as JSON")
    args = ap.parse_args(argv)
    pages = load_pages(args.only)
    if not pages:
        print("no such page" if args.only else "no pages")
        return 1
    runs = [evaluate(pages, name, fn) for name, fn in extractors().items()]
    groups = {
        "all": lambda s: True,
        "id": lambda s: s.lang == "id",
        "other": lambda s: s.lang != "id",
    }
    for title, keep in groups.items():
        print(table(runs, f"{title} pages", keep), end="\n\n")
    for run in runs:
        worst = sorted(run.scores, key=lambda s: s.f)
        shown = run.scores if args.verbose else worst[: args.show_worst]
        if shown:
            print(f"-- {run.name}: " + ("per page" if args.verbose else "worst pages"))
        for s in shown:
            why = " DROPPED" + (f" ({s.error})" if s.error else "") if s.dropped else ""
            print(f"   {s.id:<34} {s.lang:<3} P={s.p:.3f} R={s.r:.3f} F1={s.f:.3f}{why}")
    if args.json:
        out = {
            run.name: {
                "summary": {t: run.summary(k) for t, k in groups.items()},
                "pages": [vars(s) for s in run.scores],
            }
            for run in runs
        }
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
