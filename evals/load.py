"""Load test of the served app: concurrent chat sessions over HTTP on loopback.

    python -m evals.load                          # serves seeds/ itself, 20 sessions x 5
    python -m evals.load --llm local              # as `rag serve`: llama-server, 4 slots
    python -m evals.load --llm local --llm-server off   # the in-process model, one at a time
    python -m evals.load --llm openai --openai-url http://127.0.0.1:8080/v1 --llm-slots 4
    python -m evals.load --url http://127.0.0.1:7860/ --sessions 20 --questions 5
    python -m evals.load --floor                  # an endpoint that answers at once

All sessions ask their first question at the same instant, then each its next ones in turn,
with its own history, through the `/ask_events` endpoint over Gradio's HTTP API (the evidence,
the stages, the text, then the answer). Prints errors (target 0), time to the first visible
evidence and to the final answer (p50/p95), throughput, how many answers were the evidence
alone because the model stayed busy past `llm_wait_s`, and whether each answer equals the
answer to the same question asked alone beforehand. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from evals.bench import QUESTIONS, SEEDS
from evals.metrics import percentile
from evals.support import free_port
from rag.evidence_only import BUSY

TIMEOUT_S = 300.0  # one question's events, at most

# the note of an answer given from the evidence alone because the model stayed busy
BUSY_NOTES = tuple(text.split("{")[0] for text in BUSY.values())

MORE = [
    "Siapa yang bertemu Putin di Moskow?",
    "Apa yang dibahas Xi Jinping dan Putin?",
    "Which chips can China still make?",
    "Perusahaan apa yang berhenti menjual ke Rusia?",
]


def _answer_key(reply: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    return reply.get("answer", ""), tuple(c["quote"] for c in reply.get("citations", []))


@dataclass
class Asked:
    question: str
    evidence_s: float | None  # the first event that shows passages (or the final answer)
    answer_s: float  # the checked answer
    done_s: float  # ... and its translations, when it had any
    answer: dict[str, Any] | None
    error: str | None = None


def events(
    client: httpx.Client, url: str, question: str, history: list[list[str]]
) -> Iterator[dict[str, Any]]:
    """The events of one `/ask_events` call over Gradio's HTTP API (as curl would: a POST,
    then the server-sent events, read as they come). gradio_client is not used: it polls its
    message queue every 50 ms and each job every 1 ms, which on two cores cost more than the
    app (an endpoint that yields at once: 0.98 s p95 for 20 sessions with it, 0.08 s without)."""
    api = f"{url.rstrip('/')}/gradio_api/call/ask_events"
    joined = client.post(api, json={"data": [question, history]})
    joined.raise_for_status()
    kind = ""
    with client.stream("GET", f"{api}/{joined.json()['event_id']}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                kind = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data = json.loads(line.removeprefix("data:"))
                if kind == "error":
                    raise RuntimeError(f"the server failed: {data}")
                if kind == "generating":  # "complete" repeats the last one
                    yield data[0]


def ask(client: httpx.Client, url: str, question: str, history: list[list[str]]) -> Asked:
    """One question through `/ask_events`, timed at the first evidence and at the end."""
    t0 = time.perf_counter()
    evidence = answered = None
    answer: dict[str, Any] | None = None
    error = None
    try:
        for event in events(client, url, question, history):
            kind = event.get("event")
            if evidence is None and kind in ("evidence", "answer"):
                evidence = time.perf_counter() - t0
            if kind == "answer":
                answer = event["answer"]
                answered = time.perf_counter() - t0
            elif kind == "translated":
                answer = event["answer"]
            elif kind == "error":
                error = event["error"]
    except Exception as exc:  # a refused or failed request is what we count
        error = f"{type(exc).__name__}: {exc}"
    if answer is None and error is None:
        error = "no answer event"
    done = time.perf_counter() - t0
    return Asked(question, evidence, answered or done, done, answer, error)


def session(url: str, questions: list[str]) -> list[Asked]:
    """One user (a connection of its own): the questions in order, history carried along."""
    history: list[list[str]] = []
    out = []
    with httpx.Client(timeout=TIMEOUT_S) as client:
        for q in questions:
            asked = ask(client, url, q, history)
            out.append(asked)
            if asked.answer is not None:
                history.append([q, asked.answer["answer"]])
    return out


def _busy(answer: dict[str, Any]) -> bool:
    """Answered from the evidence alone because the model stayed busy."""
    return any(note.startswith(BUSY_NOTES) for note in answer.get("notes", []))


def _p(values: list[float], q: int) -> float | None:
    return round(percentile(values, q), 3) if values else None


def run(url: str, sessions: int, per_session: int) -> dict[str, Any]:
    pool = QUESTIONS + MORE
    plans = [[pool[(s + i) % len(pool)] for i in range(per_session)] for s in range(sessions)]
    alone = {}
    with httpx.Client(timeout=TIMEOUT_S) as client:
        for q in pool:  # each question asked alone, with nobody else at the model
            got = ask(client, url, q, [])
            alone[q] = _answer_key(got.answer) if got.answer else None
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as ex:
        results = [r for rs in ex.map(lambda p: session(url, p), plans) for r in rs]
    wall = time.perf_counter() - t0
    ok = [r for r in results if r.answer is not None]
    errors = [r for r in results if r.answer is None]
    evidence = [r.evidence_s for r in ok if r.evidence_s is not None]
    answers = [r.answer_s for r in ok]
    done = [r.done_s for r in ok]
    busy = [r for r in ok if _busy(r.answer or {})]
    written = [r.answer_s for r in ok if r.answer and r.answer.get("mode") != "extractive"]
    same = [_answer_key(r.answer) == alone[r.question] for r in ok if r.answer]
    unbusy = [r for r in ok if r.answer and r not in busy]
    differ = [r.question for r in unbusy if _answer_key(r.answer or {}) != alone[r.question]]
    return {
        "sessions": sessions,
        "questions_per_session": per_session,
        "requests": len(results),
        "errors": len(errors),
        "error_examples": [f"{r.question}: {r.error}" for r in errors[:3]],
        "evidence_p50_s": _p(evidence, 50),
        "evidence_p95_s": _p(evidence, 95),
        "answer_p50_s": _p(answers, 50),
        "answer_p95_s": _p(answers, 95),
        "with_translations_p50_s": _p(done, 50),
        "with_translations_p95_s": _p(done, 95),
        "generated_answers": len(written),
        "generated_p50_s": _p(written, 50),
        "generated_p95_s": _p(written, 95),
        "busy_fallbacks": len(busy),
        "wall_seconds": round(wall, 1),
        "throughput_qps": round(len(results) / wall, 3),
        "same_as_alone": sum(same),
        "different_from_alone": len(same) - sum(same),
        # not counting the busy ones, which are the evidence alone by design
        "different_not_busy": len(differ),
        "different_examples": differ[:5],
    }


def floor_app(port: int) -> Any:
    """An app whose `/ask_events` answers at once, nothing searched: what the server's and the
    load generator's own work costs (`--floor`)."""
    import gradio as gr

    from rag.config import Settings

    settings = Settings()  # the app's queue (ui/app.py `launch`), so only the work differs

    def ask_events(question: str, history: list[list[str]] | None = None) -> Iterator[Any]:
        """The evidence and the answer, at once."""
        answer = {"answer": question, "citations": [], "notes": [], "mode": "extractive"}
        yield {"event": "evidence", "answer": answer}
        yield {"event": "answer", "answer": answer}

    with gr.Blocks() as demo:
        gr.api(ask_events, api_name="ask_events")
    demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue_size)
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app; default: serve seeds/ here")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--llm", default="none", help="the app served here: none, local, openai")
    parser.add_argument(
        "--llm-server", default="auto", choices=["auto", "off"],
        help="with --llm local: llama-server as `rag serve` runs it (auto) or in process (off)",
    )  # fmt: skip
    parser.add_argument("--openai-url", default="http://127.0.0.1:8080/v1")
    parser.add_argument("--llm-slots", type=int, default=4, help="answers written at once")
    parser.add_argument("--wait", type=float, default=10.0, help="llm_wait_s of the app")
    parser.add_argument("--floor", action="store_true", help="an app that answers at once")
    parser.add_argument("--out", type=Path, default=Path("bench-out/load.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url, served_by = args.url, "?"
        if url is None and args.floor:
            port = free_port()
            stack.callback(floor_app(port).close)
            url, served_by = f"http://127.0.0.1:{port}/", "nothing (--floor)"
        elif url is None:
            from rag.config import Settings
            from rag.llm_server import start_for_serving
            from rag.service import RagService
            from ui.app import launch

            settings = Settings(
                index_dir=Path(tmp), llm=args.llm, openai_base_url=args.openai_url,
                llm_slots=args.llm_slots, llm_wait_s=args.wait, llm_server=args.llm_server,
            )  # fmt: skip
            server = start_for_serving(settings)  # as `rag serve` does
            if server is not None:
                stack.callback(server.close)
            service = RagService(settings, llm=server.chat if server is not None else None)
            service.build_index([SEEDS])
            port = free_port()
            demo = launch(service, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
            stack.callback(demo.close)
            url, served_by = f"http://127.0.0.1:{port}/", service.status().writer
        result = {"url": url, "answers_by": served_by, "llm_wait_s": args.wait}
        result |= run(url, args.sessions, args.questions)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
