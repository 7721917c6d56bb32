"""llama.cpp's own server for the chat: several answers written at once.

The in-process model (`rag.llm.LlamaCppChat`) writes one answer at a time, so readers queue.
`llama-server`, built by `make` from the llama.cpp source that llama-cpp-python vendors, serves
the same GGUF with `llm_slots` parallel slots and continuous batching; `rag serve` starts it on
a loopback port and talks to it through the OpenAI-compatible API (measured in the README,
"Many readers at once"). `ServerChat.yes_probability` is the answerability judge over it: the
first token's log-probabilities, one token generated.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from langchain_core.messages import BaseMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from rag.config import Settings
from rag.errors import BackendUnavailable
from rag.llm import (
    MAX_TOKENS,
    NO,
    TEMPERATURE,
    YES,
    _to_openai,
    assemble_gguf,
    local_available,
)

CONTEXT_PER_SLOT = 4096  # tokens: the prompt (4 passages) and the answer fit with room to spare
START_TIMEOUT_S = 120.0
TOP_LOGPROBS = 20  # the judge reads yes and no among the first token's top candidates


def server_binary() -> Path | None:
    """`llama-server` beside this Python (`make` puts it in .venv/bin), else on PATH."""
    beside = Path(sys.executable).parent / "llama-server"
    if beside.is_file():
        return beside
    found = shutil.which("llama-server")
    return Path(found) if found else None


class ServerChat(ChatOpenAI):
    """The OpenAI-compatible chat model over a llama-server, with the yes/no judge."""

    slots: int = 1  # answers the server writes at once
    local_model: str = ""  # the GGUF it serves (a key of `rag.llm.GGUF_MODELS`)

    def yes_probability(self, messages: list[BaseMessage]) -> float:
        """p("yes") against p("no") as the reply's first token (`LlamaCppChat`'s judge, read
        from the server's top log-probabilities)."""
        body = {
            "messages": _to_openai(messages), "max_tokens": 1, "temperature": 0.0,
            "logprobs": True, "top_logprobs": TOP_LOGPROBS,
        }  # fmt: skip
        base = str(self.openai_api_base).rstrip("/")
        timeout = self.request_timeout if isinstance(self.request_timeout, float) else 60.0
        reply = httpx.post(f"{base}/chat/completions", json=body, timeout=timeout)
        reply.raise_for_status()
        content = reply.json()["choices"][0]["logprobs"]["content"]
        top = content[0]["top_logprobs"] if content else []
        mass = {"yes": 0.0, "no": 0.0}
        for candidate in top:
            token = str(candidate["token"]).strip()
            for word, forms in (("yes", YES), ("no", NO)):
                if token in forms:
                    mass[word] += math.exp(float(candidate["logprob"]))
        total = mass["yes"] + mass["no"]
        return mass["yes"] / total if total > 0 else 0.5


class LlamaServer:
    """A llama-server process on loopback serving the local GGUF; `chat` talks to it.
    `close()` (or leaving a `with`) stops it."""

    def __init__(self, settings: Settings, binary: Path | None = None) -> None:
        binary = binary or server_binary()
        if binary is None:
            raise BackendUnavailable("llama-server is not built: run `make llama-server`")
        gguf = assemble_gguf(settings.llm_model, settings.models_dir)
        self.slots = settings.llm_slots
        self.port = free_loopback_port()
        self.log_path = settings.models_dir / "llama-server.log"
        threads = str(settings.llm_threads)
        cmd = [
            str(binary), "-m", str(gguf), "--host", "127.0.0.1", "--port", str(self.port),
            "-t", threads, "-tb", threads, "-np", str(self.slots), "-cb",
            "-c", str(CONTEXT_PER_SLOT * self.slots), "--no-webui",
        ]  # fmt: skip
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_child_setup
            )
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise
        self.chat = ServerChat(
            base_url=self.base_url, model=settings.llm_model, api_key=SecretStr("local"),
            slots=self.slots, local_model=settings.llm_model,
            temperature=TEMPERATURE, max_completion_tokens=MAX_TOKENS,
            timeout=settings.llm_timeout, max_retries=1,
        )  # fmt: skip

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace").strip().splitlines()[-3:]
                raise BackendUnavailable(f"llama-server stopped: {' | '.join(tail)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise BackendUnavailable(f"llama-server did not start in {START_TIMEOUT_S:.0f} s")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> LlamaServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


SERVER_NICENESS = 10


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _child_setup() -> None:
    """In the server's process before it starts: below the chat's own work, so that the
    search that shows a reader the evidence is not kept waiting by other readers' answers
    being written (they take what the search leaves of the two cores); and ended with its
    parent, however the parent ends (a SIGTERM or SIGKILL runs no `finally`)."""
    os.nice(SERVER_NICENESS)
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_loopback_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_for_serving(settings: Settings) -> LlamaServer | None:
    """The llama-server `rag serve` writes its answers with: when the local LLM is chosen,
    `llm_server` is 'auto' and `make` built the server; else None (the configured LLM, in
    process)."""
    if settings.llm_server == "off" or settings.llm not in ("auto", "local"):
        return None
    if not local_available(settings) or server_binary() is None:
        return None
    return LlamaServer(settings)
