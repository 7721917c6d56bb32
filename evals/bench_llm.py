"""Generative-answer benchmark on the seed article: time to first token, total time, tokens/s
and the share of generated sentences the support checker kept, per LLM backend.

    python -m evals.bench_llm                      # local (default model), and openai
    python -m evals.bench_llm --backend local --rounds 5 --llm-model qwen2.5-coder-0.5b
    python -m evals.bench_llm --backend local --answerability off --answerability judge

Prints numbers; it asserts nothing. The openai backend is measured against llama-cpp-python's
own OpenAI-compatible server serving the same GGUF on loopback.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

from evals.bench import SEEDS
from evals.metrics import percentile
from evals.support import free_port
from rag.chunks import split_sentences
from rag.config import Settings
from rag.drafts import plain
from rag.llm import assemble_gguf
from rag.service import RagService
from rag.text import detect_language

QUESTIONS = [
    "what chip limits apply to China?",
    "Apa batasan produksi chip yang berlaku untuk China?",
    "Which companies stopped selling to Russia?",
    "How long did Xi Jinping's visit to Moscow last?",
    "Siapa yang bertemu dengan Presiden Putin?",
    "What did Russia and China say they could lead the world in?",
]


def run(service: RagService, rounds: int) -> dict[str, float]:
    first, total, tokens_per_s = [], [], []
    kept = dropped = generated = fallback = abstained = same_language = 0
    service.answer(QUESTIONS[0])  # load the model, build BM25
    for _ in range(rounds):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            t_first = None
            n_tokens = 0
            stream = service.stream(q)
            for token in stream:
                if token:
                    n_tokens += 1
                    t_first = t_first or time.perf_counter()
            answer = stream.answer
            end = time.perf_counter()
            total.append(end - t0)
            if t_first is not None:
                first.append(t_first - t0)
                if end > t_first and n_tokens > 1:
                    tokens_per_s.append((n_tokens - 1) / (end - t_first))
            abstained += answer.abstained
            if answer.mode == "generative" and not answer.abstained:
                generated += 1
                kept += len(split_sentences(answer.answer))
                same_language += detect_language(plain(answer.answer)) == detect_language(q)
            fallback += answer.mode == "fallback"
            dropped += len(answer.dropped)
    n = rounds * len(QUESTIONS)
    return {
        "answers": n,
        "first_token_p50_s": statistics.median(first) if first else float("nan"),
        "first_token_p95_s": percentile(first, 95) if first else float("nan"),
        "total_p50_s": statistics.median(total),
        "total_p95_s": percentile(total, 95),
        "decode_tokens_per_s": statistics.median(tokens_per_s) if tokens_per_s else float("nan"),
        "sentences_kept_share": kept / (kept + dropped) if kept + dropped else float("nan"),
        "generated": generated,
        "generated_in_question_language": same_language,
        "fallback_to_extractive": fallback,
        "abstained": abstained,
    }


@contextmanager
def openai_server(gguf: Path, log: IO[str] | None = None) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server for `gguf` on loopback, as model "qwen";
    yields its base URL once it answers, and stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", "2", "--model_alias", "qwen"],
        stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/models", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("the OpenAI-compatible server exited") from None
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=["local", "openai", "none"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--llm-model", default=None, help="default: the settings' default")
    parser.add_argument("--out", type=Path, default=Path("bench-out/bench_llm.json"))
    parser.add_argument(
        "--answerability", action="append", choices=["auto", "off", "judge"],
        help="the answerability check; repeat to compare (default: auto)",
    )  # fmt: skip
    args = parser.parse_args()
    results: dict[str, object] = {"questions": QUESTIONS, "rounds": args.rounds}
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings(index_dir=Path(tmp) / "index", llm="none")
        if args.llm_model:
            base = base.model_copy(update={"llm_model": args.llm_model})
        RagService(base).build_index([SEEDS])
        runs = [
            (backend, check)
            for backend in args.backend or ["local", "openai"]
            for check in args.answerability or ["auto"]
        ]
        for backend, check in runs:
            settings = base.model_copy(update={"llm": backend, "answerability": check})
            name = backend if check == "auto" else f"{backend}, answerability {check}"
            with ExitStack() as stack:
                if backend == "openai":
                    gguf = assemble_gguf(settings.llm_model, settings.models_dir)
                    url = stack.enter_context(openai_server(gguf))
                    settings = settings.model_copy(
                        update={"openai_base_url": url, "openai_model": "qwen"}
                    )
                results[name] = run(RagService(settings), args.rounds)
            print(name, json.dumps(results[name], indent=2), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
