"""The Gradio app over `RagService` (`rag serve`): a chat whose `[n]` citations open the quoted
passage in a sources panel, and a library tab to list, search, add and delete articles.

This module is the layout and the wiring; `ui.handlers` holds what events do and `ui.views`
what they show.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from rag import RagService
from ui.handlers import Handlers
from ui.page import CSS, HEAD, HELP
from ui.views import library_rows, panel, render, sources_group, status_text

__all__ = ["build_app", "launch", "panel", "render", "sources_group"]

EXAMPLES = [
    "what chip limits apply to China?",
    "Apa batasan produksi chip yang berlaku untuk China?",
    "Which companies stopped selling to Russia?",
    "Berapa hari kunjungan Xi Jinping ke Moskow?",
]
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"]


def build_app(service: RagService) -> gr.Blocks:
    """The page. API endpoints: `/ask` (question, history) -> the answer as JSON, and
    `/ask_stream`, which streams the answer text."""
    h = Handlers(service)
    with gr.Blocks(title="News QA") as demo:
        gr.Markdown(HELP)
        status = gr.Markdown(status_text(service), elem_id="status")
        with gr.Tab("Chat", id="chat"):
            groups = gr.State([])
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        height=540, label="Answers", sanitize_html=False, elem_id="chatbot",
                        feedback_options=None,
                    )  # fmt: skip
                    msg = gr.Textbox(
                        placeholder="Ask in English or Indonesian…", show_label=False,
                        elem_id="question", submit_btn=True,
                    )  # fmt: skip
                    gr.Examples(EXAMPLES, inputs=msg, label="Examples")
                    clear = gr.Button("New conversation", size="sm")
                with gr.Column(scale=2):
                    sources = gr.HTML(panel([]), elem_id="sources", label="Sources")
            msg.submit(
                h.chat, [msg, chatbot, groups], [msg, chatbot, sources, groups],
                api_visibility="private",
            )  # fmt: skip
            clear.click(
                lambda: ([], panel([]), []), None, [chatbot, sources, groups],
                api_visibility="private",
            )  # fmt: skip
        with gr.Tab("Library", id="library"):
            with gr.Row():
                search = gr.Textbox(label="Search", placeholder="title, source, date or id")
                selected = gr.Textbox(label="Selected article", interactive=False, elem_id="sel")
                remove = gr.Button("Delete selected", variant="stop", elem_id="delete")
            table = gr.Dataframe(
                headers=["Title", "Source", "Date", "Chunks", "ID"], value=library_rows(service),
                interactive=False, wrap=True, elem_id="library",
            )  # fmt: skip
            with gr.Row():
                with gr.Column():
                    files = gr.File(
                        label="Upload articles (.txt .md .html .jsonl)", file_count="multiple",
                        file_types=UPLOAD_TYPES, elem_id="upload",
                    )  # fmt: skip
                    add_btn = gr.Button("Add files to the index", elem_id="add-files")
                with gr.Column():
                    title = gr.Textbox(label="Title", elem_id="paste-title")
                    text = gr.Textbox(label="Article text", lines=6, elem_id="paste-text")
                    paste_btn = gr.Button("Add pasted article", elem_id="add-text")
            note = gr.Markdown(elem_id="library-note")
        outs = [note, table, status, selected]
        search.change(h.search, search, table, api_visibility="private")
        table.select(h.select, None, selected, api_visibility="private")
        for btn, fn, ins in (
            (add_btn, h.add_files, [files, search]),
            (paste_btn, h.add_text, [title, text, search]),
            (remove, h.delete, [selected, search]),
        ):
            btn.click(fn, ins, outs, concurrency_id="index", concurrency_limit=1,
                      api_visibility="private")  # fmt: skip
        demo.load(h.on_load, search, [status, table], api_visibility="private")
        gr.api(h.ask, api_name="ask")
        gr.api(h.ask_stream, api_name="ask_stream")
    return demo


def launch(service: RagService, host: str, port: int, **kwargs: Any) -> Any:
    """Serve the app; blocks unless `prevent_thread_lock=True` is passed."""
    settings = service.settings
    demo = build_app(service)
    demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue_size)
    if settings.ui_user and settings.ui_password:
        kwargs.setdefault("auth", (settings.ui_user, settings.ui_password.get_secret_value()))
    demo.launch(
        server_name=host, server_port=port, show_error=False, css=CSS, head=HEAD,
        max_file_size=int(settings.max_file_mb * 1024 * 1024), **kwargs,
    )  # fmt: skip
    return demo
