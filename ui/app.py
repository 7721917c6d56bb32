"""A plain Gradio chat page over `RagService` (`rag serve`)."""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Iterator
from typing import Any

from rag import Answer, RagError, RagService

log = logging.getLogger(__name__)

EXAMPLES = [
    "what chip limits apply to China?",
    "Apa batasan produksi chip yang berlaku untuk China?",
    "Which companies stopped selling to Russia?",
    "Berapa hari kunjungan Xi Jinping ke Moskow?",
]


def render(answer: Answer) -> str:
    """Markdown for one answer: the text, then each cited passage with its article."""
    lines = [html.escape(answer.answer, quote=False)]
    if answer.abstained and answer.related:
        lines.append("\n**Related passages** (they do not answer the question):")
    for c in answer.citations or answer.related:
        label = f"[{c.n}]" if answer.citations else "·"
        date = f", {c.published}" if c.published else ""
        title = html.escape(c.title, quote=False)
        lines.append(f"\n{label} **{title}** — {html.escape(c.source)}{date}")
        lines.append(f"> {html.escape(c.quote, quote=False)}")
    return "\n".join(lines)


def _pairs(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    pairs, user = [], None
    for msg in history:
        content = msg.get("content")
        text = content if isinstance(content, str) else ""
        if msg.get("role") == "user":
            user = text
        elif user is not None:
            pairs.append((user, text))
            user = None
    return pairs


def build_app(service: RagService) -> Any:
    """The chat page; its endpoint `/ask` takes (message, history) and streams markdown."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        """Streams the LLM's tokens, then replaces them with the checked, cited answer."""
        partial = ""
        try:
            for item in service.stream(message, _pairs(history)):
                if isinstance(item, Answer):
                    yield render(item)
                else:
                    partial += item
                    yield html.escape(partial, quote=False) + " …"
        except RagError as exc:
            yield f"⚠️ {exc}"
        except Exception:  # never show a traceback to a user
            log.exception("answer failed")
            yield "⚠️ Something went wrong while answering; the error was logged."

    status = service.status()
    with gr.Blocks(title="News QA") as demo:
        gr.Markdown(
            "## News QA\nAsk in English or Indonesian; every answer quotes the article passage "
            f"it comes from. Index: {status.articles} articles, {status.chunks} chunks "
            f"({status.embedding_model}); answers: {status.llm}."
        )
        gr.ChatInterface(
            respond,
            examples=EXAMPLES,
            api_name="ask",
            concurrency_limit=4,
            chatbot=gr.Chatbot(height=520, label="Answers"),
        )
    return demo


def launch(service: RagService, host: str, port: int, **kwargs: Any) -> Any:
    """Serve the chat and return the app; blocks unless `prevent_thread_lock=True` is passed."""
    demo = build_app(service)
    demo.queue(default_concurrency_limit=4)
    demo.launch(server_name=host, server_port=port, show_error=False, **kwargs)
    return demo
