"""The Gradio app over `RagService` (`rag serve`): a chat whose `[n]` citations open the quoted
passage in a sources panel, and a library tab to list, search, add and delete articles.

This module is the layout and the wiring; `ui.handlers` holds what events do and `ui.views`
what they show.
"""

from __future__ import annotations

import ipaddress
import sys
from typing import Any

import gradio as gr

from rag import ConfigError, RagService, Settings
from ui.chat import Chat
from ui.guard import Guard, LoginLimiter
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
    h, chat = Handlers(service), Chat(service)
    with gr.Blocks(title="News QA") as demo:
        with gr.Row(elem_id="top"):
            gr.Markdown(HELP, elem_id="help")
            status = gr.Markdown(status_text(service), elem_id="status")
        with gr.Tab("Chat", id="chat"):
            # the conversation's answers, kept in the browser too (it survives a reload)
            turns = gr.BrowserState([], storage_key="news-qa-conversation")
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, elem_id="chat-col"):
                    chatbot = gr.Chatbot(
                        label="Answers", sanitize_html=False, elem_id="chatbot",
                        feedback_options=None, show_label=False, buttons=[], height=560,
                        placeholder="Answers appear here, with the passages they come from.",
                    )  # fmt: skip
                    msg = gr.Textbox(
                        placeholder="Ask in English or Indonesian…", show_label=False,
                        elem_id="question", submit_btn=True, stop_btn=True, lines=1,
                        max_lines=6,
                    )  # fmt: skip
                    ask_note = gr.Markdown(elem_id="ask-note")
                    with gr.Row(elem_id="chat-tools"):
                        gr.Examples(EXAMPLES, inputs=msg, label="Examples")
                        clear = gr.Button("New conversation", size="sm", elem_id="clear")
                with gr.Column(scale=2, elem_id="sources-col"):
                    sources = gr.HTML(panel([]), elem_id="sources", label="Sources")
            msg.submit(
                chat.send, [msg, turns], [msg, chatbot, sources, turns, ask_note],
                api_visibility="private", show_progress="hidden",
            ).then(
                chat.translate, turns, [chatbot, sources, turns], api_visibility="private",
                show_progress="hidden",
            )  # fmt: skip
            msg.stop(chat.stop, None, None, api_visibility="private", concurrency_limit=None)
            clear.click(
                chat.clear, None, [chatbot, sources, turns, ask_note], api_visibility="private"
            )
        with gr.Tab("Library", id="library"):
            with gr.Row():
                search = gr.Textbox(label="Search", placeholder="title, source, date or id")
                selected = gr.Textbox(label="Selected article", interactive=False, elem_id="sel")
                with gr.Column(min_width=160):
                    remove = gr.Button("Delete selected", variant="stop", elem_id="delete")
                    delete_note = gr.Markdown(elem_id="delete-note")
            table = gr.Dataframe(
                headers=["Title", "Source", "Date", "Passages", "ID"],
                value=library_rows(service), interactive=False, wrap=True, elem_id="library",
                column_widths=["38%", "20%", "12%", "10%", "20%"],
            )  # fmt: skip
            with gr.Row():
                with gr.Column():
                    files = gr.File(
                        label="Upload articles (.txt .md .html .jsonl)", file_count="multiple",
                        file_types=UPLOAD_TYPES, elem_id="upload",
                    )  # fmt: skip
                    add_btn = gr.Button("Add files to the index", elem_id="add-files")
                    files_note = gr.Markdown(elem_id="files-note")
                with gr.Column():
                    title = gr.Textbox(label="Title", elem_id="paste-title")
                    text = gr.Textbox(label="Article text", lines=6, elem_id="paste-text")
                    paste_btn = gr.Button("Add pasted article", elem_id="add-text")
                    text_note = gr.Markdown(elem_id="text-note")
                with gr.Column():
                    urls = gr.Textbox(
                        label="Add by URL", lines=3, elem_id="urls",
                        placeholder="https://… one address per line; a news feed (RSS/Atom) "
                        "adds its articles",
                    )  # fmt: skip
                    url_btn = gr.Button("Fetch and add", elem_id="add-urls")
                    url_note = gr.Markdown(elem_id="url-note")
        search.change(h.search, search, table, api_visibility="private")
        table.select(h.select, None, selected, api_visibility="private")
        for btn, fn, ins, note, clears in (
            (add_btn, h.add_files, [files, search], files_note, [files]),
            (paste_btn, h.add_text, [title, text, search], text_note, [title, text]),
            (url_btn, h.add_urls, [urls, search], url_note, [urls]),
            (remove, h.delete, [selected, search], delete_note, []),
        ):
            btn.click(
                fn, ins, [note, table, status, selected, *clears], concurrency_id="index",
                concurrency_limit=1, api_visibility="private", show_progress_on=[note],
            )  # fmt: skip
        demo.load(h.on_load, search, [status, table], api_visibility="private")
        demo.load(chat.restore, turns, [chatbot, sources], api_visibility="private")
        gr.api(h.ask, api_name="ask")
        gr.api(h.ask_stream, api_name="ask_stream")
        gr.api(h.ask_events, api_name="ask_events")
    return demo


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_exposure(
    settings: Settings, host: str, *, insecure_no_auth: bool = False, quiet: bool = False
) -> None:
    """Refuse to serve beyond loopback without a login, unless `insecure_no_auth`; then say so
    loudly on stderr (unless `quiet`)."""
    if (settings.ui_user and settings.ui_password) or is_loopback(host):
        return
    if not insecure_no_auth:
        raise ConfigError(
            f"refusing to serve on {host} without a login: anyone who can reach it could "
            "delete articles; set RAG_UI_USER and RAG_UI_PASSWORD, or pass "
            "--insecure-no-auth to serve it open anyway"
        )
    if quiet:
        return
    print(
        f"WARNING: serving on {host} WITHOUT A LOGIN (--insecure-no-auth): anyone who can "
        "reach this address can read, add and delete articles.",
        file=sys.stderr,
        flush=True,
    )


def launch(
    service: RagService, host: str, port: int, *, insecure_no_auth: bool = False, **kwargs: Any
) -> Any:
    """Serve the app; blocks unless `prevent_thread_lock=True` is passed. Says where it
    serves in one line (unless `quiet=True`), without Gradio's own start-up hints.

    Beyond loopback it needs a login (ui_user and ui_password), or `insecure_no_auth`:
    anyone who can reach the page can delete articles."""
    settings = service.settings
    check_exposure(settings, host, insecure_no_auth=insecure_no_auth)
    login = bool(settings.ui_user and settings.ui_password)
    demo = build_app(service)
    demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue_size)
    if login:
        assert settings.ui_user and settings.ui_password  # for the type checker
        kwargs.setdefault("auth", (settings.ui_user, settings.ui_password.get_secret_value()))
    limiter = LoginLimiter(settings.ui_login_attempts, 60.0, settings.ui_login_delay_s)
    from starlette.middleware import Middleware

    quiet = kwargs.pop("quiet", False)
    block = not kwargs.pop("prevent_thread_lock", False)
    try:
        demo.launch(
            server_name=host, server_port=port, show_error=False, css=CSS, head=HEAD,
            max_file_size=int(settings.max_file_mb * 1024 * 1024), quiet=True,
            prevent_thread_lock=True, max_threads=settings.ui_concurrency + 8,
            app_kwargs={"middleware": [Middleware(Guard, limiter=limiter)]}, **kwargs,
        )  # fmt: skip
    except OSError as exc:  # gradio: "Cannot find empty port in range: 7860-7860. ..."
        if "port" not in str(exc).lower():
            raise
        raise ConfigError(
            f"cannot serve on {host}:{port}: the port is in use (or not allowed); pass "
            "--port with another number, or stop what is using it"
        ) from exc
    if not quiet:
        print(f"The chat is served at {demo.local_url} (Ctrl+C stops it).", flush=True)
    if block:
        demo.block_thread()
    return demo
