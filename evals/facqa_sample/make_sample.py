"""Regenerate the CI quality gate's FacQA sample (evals/facqa_sample) from ../shared/data.

    python -m evals.facqa_sample.make_sample            # from the repository root

The questions are the ones `evals.runner.pick_questions(source, sample=100, seed=0)` picks,
i.e. what `rag eval --dataset ../shared/data/facqa_valid --sample 100 --seed 0` asks, copied
line for line from the source in that (qid) order. The corpus is copied whole, byte for byte:
`run_eval` indexes a data set's entire corpus whatever the sample, so the gate's numbers on
this folder (asked in full, no `sample`) are the numbers of the 100-question sample of
facqa_valid. `--check` compares instead of writing (exit 1 on a difference).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from evals.runner import pick_questions

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2] / "shared" / "data" / "facqa_valid"


def sample_lines(source: Path, sample: int, seed: int) -> list[str]:
    """The source's questions.jsonl lines of the questions the gate's sample picks."""
    picked = [q.qid for q in pick_questions(source, sample=sample, seed=seed)]
    lines = {}
    with (source / "questions.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                lines[json.loads(line)["qid"]] = line if line.endswith("\n") else line + "\n"
    return [lines[qid] for qid in picked]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    questions = "".join(sample_lines(args.source, args.sample, args.seed))
    corpus = (args.source / "corpus.jsonl").read_bytes()
    if args.check:
        same = (args.out / "questions.jsonl").read_text(encoding="utf-8") == questions
        same &= (args.out / "corpus.jsonl").read_bytes() == corpus
        print("up to date" if same else f"{args.out} differs from {args.source}")
        return 0 if same else 1
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "questions.jsonl").write_text(questions, encoding="utf-8")
    shutil.copyfile(args.source / "corpus.jsonl", args.out / "corpus.jsonl")
    print(f"{args.out}: {questions.count(chr(10))} questions, whole corpus of {args.source.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
