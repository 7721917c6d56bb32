"""Load test of the served app: concurrent chat sessions through gradio_client on loopback.

    python -m evals.load                          # serves seeds/ itself, 20 sessions x 5
    python -m evals.load --url http://127.0.0.1:7860/ --sessions 20 --questions 5

Each session asks its questions in turn, with its own history, through the `/ask` endpoint.
Prints errors (target 0), p50/p95 latency, and whether each answer equals the answer to the
same question asked alone beforehand. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evals.bench import QUESTIONS, SEEDS
from evals.metrics import percentile
from evals.support import free_port

MORE = [
    "Siapa yang bertemu Putin di Moskow?",
    "Apa yang dibahas Xi Jinping dan Putin?",
    "Which chips can China still make?",
    "Perusahaan apa yang berhenti menjual ke Rusia?",
]


def _answer_key(reply: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    return reply.get("answer", ""), tuple(c["quote"] for c in reply.get("citations", []))


def session(url: str, questions: list[str]) -> list[tuple[str, float, Any]]:
    """One user: a client of its own, the questions in order, history carried along."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    history: list[list[str]] = []
    out = []
    for q in questions:
        t0 = time.perf_counter()
        try:
            reply = client.predict(q, history, api_name="/ask")
            error = reply.get("error") if isinstance(reply, dict) else "not a JSON answer"
        except Exception as exc:  # a refused or failed request is what we count
            reply, error = None, f"{type(exc).__name__}: {exc}"
        out.append((q, time.perf_counter() - t0, error or reply))
        if not error:
            history.append([q, reply["answer"]])
    return out


def run(url: str, sessions: int, per_session: int) -> dict[str, Any]:
    from gradio_client import Client

    pool = QUESTIONS + MORE
    plans = [[pool[(s + i) % len(pool)] for i in range(per_session)] for s in range(sessions)]
    alone_client = Client(url, verbose=False)
    alone = {q: _answer_key(alone_client.predict(q, [], api_name="/ask")) for q in pool}
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as ex:
        results = [r for rs in ex.map(lambda p: session(url, p), plans) for r in rs]
    wall = time.perf_counter() - t0
    errors = [(q, r) for q, _, r in results if not isinstance(r, dict)]
    latencies = [t for _, t, r in results if isinstance(r, dict)]
    same = [_answer_key(r) == alone[q] for q, _, r in results if isinstance(r, dict)]
    return {
        "sessions": sessions,
        "questions_per_session": per_session,
        "requests": len(results),
        "errors": len(errors),
        "error_examples": [f"{q}: {r}" for q, r in errors[:3]],
        "latency_p50_s": statistics.median(latencies) if latencies else None,
        "latency_p95_s": percentile(latencies, 95) if latencies else None,
        "latency_max_s": max(latencies) if latencies else None,
        "wall_seconds": wall,
        "throughput_qps": len(results) / wall,
        "same_as_alone": sum(same),
        "different_from_alone": len(same) - sum(same),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app; default: serve seeds/ here")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--llm", default="none", help="for the app served here: none or local")
    parser.add_argument("--out", type=Path, default=Path("bench-out/load.json"))
    args = parser.parse_args()
    demo = None
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url
        if url is None:
            from rag.config import Settings
            from rag.service import RagService
            from ui.app import launch

            service = RagService(Settings(index_dir=Path(tmp), llm=args.llm))
            service.build_index([SEEDS])
            port = free_port()
            demo = launch(service, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
            url = f"http://127.0.0.1:{port}/"
        try:
            result = {"url": url, "llm": args.llm if args.url is None else "?"}
            result |= run(url, args.sessions, args.questions)
        finally:
            if demo is not None:
                demo.close()
    print(json.dumps(result, indent=2, ensure_ascii=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
