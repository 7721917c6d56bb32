"""Answers from the evidence alone, when the model can't write one: busy past `llm_wait_s`, or
its endpoint unreachable. The extractive answer (the stream's preview) is given, with a note
in the question's language that says why."""

from __future__ import annotations

from rag.errors import causes
from rag.schema import Answer

BUSY = {
    "en": "The language model was busy ({ahead} waiting before this question), so this answer "
    "quotes the passages as the articles wrote them.",
    "id": "Model bahasa sedang sibuk ({ahead} pertanyaan menunggu sebelum pertanyaan ini), jadi "
    "jawaban ini mengutip bagian artikel apa adanya.",
}


UNREACHABLE = {
    "en": "The language model could not be reached ({why}), so this answer quotes the passages "
    "as the articles wrote them. Check that it runs (RAG_OPENAI_BASE_URL), or use --llm none.",
    "id": "Model bahasa tidak dapat dihubungi ({why}), jadi jawaban ini mengutip bagian artikel "
    "apa adanya.",
}


def unreachable(preview: Answer, exc: Exception) -> Answer:
    """The evidence as the answer, when the model's endpoint failed (refused, timed out)."""
    why = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
    note = UNREACHABLE.get(preview.language, UNREACHABLE["en"]).format(why=why)
    return preview.model_copy(update={"notes": [*preview.notes, note]})


def endpoint_error(exc: Exception) -> bool:
    """A failure of the model's endpoint (network, HTTP), not of our code: anywhere in the
    chain, as langchain wraps openai's error, which wraps httpx's."""
    return any(
        type(e).__module__.split(".")[0] in ("openai", "httpx", "httpcore")
        or isinstance(e, (ConnectionError, TimeoutError))
        for e in causes(exc)
    )


def busy(preview: Answer, ahead: int) -> Answer:
    """The evidence as the answer, when the model could not take the question in time."""
    note = BUSY.get(preview.language, BUSY["en"]).format(ahead=ahead)
    return preview.model_copy(update={"notes": [*preview.notes, note]})
