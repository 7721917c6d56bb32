"""The Gradio app over `RagService` (`rag serve`): a chat whose `[n]` citations open the quoted
passage in a sources panel, and a library tab to list, search, add and delete articles."""

from __future__ import annotations

import html
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag import Answer, RagError, RagService
from rag.answer import Citation
from ui.page import CSS, HEAD, HELP

log = logging.getLogger(__name__)

EXAMPLES = [
    "what chip limits apply to China?",
    "Apa batasan produksi chip yang berlaku untuk China?",
    "Which companies stopped selling to Russia?",
    "Berapa hari kunjungan Xi Jinping ke Moskow?",
]
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"]
OOPS = "⚠️ Something went wrong; the error was logged."
_CITE = re.compile(r"\[(\d+)\]")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def render(answer: Answer, group: str) -> str:
    """The chat bubble: the answer with `[n]` links into the sources panel, then the list of
    cited articles; an abstention says so and points at the related passages."""
    text = _e(answer.answer)
    if answer.abstained:
        out = f'<div class="abstained"><b>No answer in the articles.</b> {text}</div>'
        if answer.related:
            out += (
                '<p class="related-note">Closest passages, which do not answer it: '
                + " ".join(_link(group, f"r{c.n}", "related " + str(c.n)) for c in answer.related)
                + "</p>"
            )
        return out
    out = _CITE.sub(lambda m: _link(group, m[1], f"[{m[1]}]"), text)
    items = "".join(
        f"<li>{_link(group, str(c.n), f'[{c.n}]')} {_e(c.title)} — {_e(c.source)}"
        f"{', ' + _e(c.published) if c.published else ''}</li>"
        for c in answer.citations
    )
    out += f'<ol class="cited">{items}</ol>'
    if answer.dropped:
        out += f'<p class="dropped">{len(answer.dropped)} unsupported sentence(s) removed.</p>'
    return out


def _link(group: str, n: str, label: str) -> str:
    return f'<a class="cite" href="#src-{group}-{n}" data-group="{group}" data-n="{n}">{label}</a>'


def sources_group(service: RagService, answer: Answer, group: str) -> str:
    """The sources panel's part for one answer: each cited (or related) passage, highlighted
    in its article's text."""
    cited = [(str(c.n), f"[{c.n}]", c) for c in answer.citations]
    cited += [(f"r{c.n}", "related", c) for c in answer.related if not answer.citations]
    blocks = [f'<div class="q">Sources for: {_e(answer.question)}</div>']
    for n, label, c in cited:
        blocks.append(
            f'<div class="src" id="src-{group}-{n}"><div class="hdr"><span class="n">'
            f"{label}</span> <b>{_e(c.title)}</b></div>"
            f'<div class="meta">{_e(c.source)}{" · " + _e(c.published) if c.published else ""}'
            f" · {_e(c.doc_id)} · chars {c.char_start}-{c.char_end}</div>"
            f'<div class="ctx">{_context(service, c)}</div></div>'
        )
    if not cited:
        blocks.append("<p>No passages.</p>")
    return f'<div class="group" data-group="{group}">{"".join(blocks)}</div>'


def _context(service: RagService, c: Citation) -> str:
    try:
        before, quote, after = service.passage(c.doc_id, c.char_start, c.char_end)
    except Exception:  # the article may have been deleted since
        log.exception("no context for %s", c.doc_id)
        before, quote, after = "", c.quote, ""
    return f"{_e(before)}<mark>{_e(quote)}</mark>{_e(after)}"


def panel(groups: list[str], show: int = -1) -> str:
    """Every answer's sources, only the `show`n one visible (links switch between them)."""
    if not groups:
        return '<div class="empty">Click a citation [n] to see its passage here.</div>'
    shown = range(len(groups))[show]
    return "".join(
        g if i == shown else g.replace('class="group"', 'class="group" hidden', 1)
        for i, g in enumerate(groups)
    )


def _pairs(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    pairs, user = [], None
    for msg in history:
        content = msg.get("content")
        text = html.unescape(content) if isinstance(content, str) else ""
        if msg.get("role") == "user":
            user = text
        elif user is not None:
            pairs.append((user, text))
            user = None
    return pairs


def status_text(service: RagService) -> str:
    try:
        s = service.status()
    except Exception:
        log.exception("status failed")
        return "Index status unavailable."
    cross = f" + {_e(s.cross_model)} for English questions" if s.cross_model else ""
    return (
        f"**Index:** {s.articles} articles · {s.chunks} chunks · embeddings "
        f"`{_e(s.embedding_model)}`{cross} · answers: {_e(s.llm)}"
    )


def library_rows(service: RagService, query: str | None = "") -> list[list[Any]]:
    words = (query or "").lower().split()
    rows = []
    for a in service.articles():
        hay = f"{a.title} {a.source} {a.doc_id} {a.published}".lower()
        if all(w in hay for w in words):
            rows.append([a.title, a.source, a.published, a.chunks, a.doc_id])
    return rows


def build_app(service: RagService) -> Any:
    """The page. API endpoints: `/ask` (question, history) -> the answer as JSON, and
    `/ask_stream`, which streams the answer text."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    def chat(message: str, history: list[dict[str, Any]] | None, groups: list[str]) -> Iterator:
        history, groups = list(history or []), list(groups or [])
        pairs = _pairs(history)
        history += [{"role": "user", "content": _e(message)}, {"role": "assistant", "content": "…"}]
        yield "", history, gr.skip(), groups
        partial = ""
        try:
            for item in service.stream(message, pairs):
                if isinstance(item, Answer):
                    group = f"g{len(groups) + 1}"
                    groups.append(sources_group(service, item, group))
                    history[-1] = {"role": "assistant", "content": render(item, group)}
                    yield "", history, panel(groups), groups
                else:
                    partial += item
                    history[-1] = {"role": "assistant", "content": _e(partial) + " …"}
                    yield "", history, gr.skip(), groups
        except RagError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠️ {_e(str(exc))}"}
            yield "", history, gr.skip(), groups
        except Exception:  # never a traceback on the page
            log.exception("answer failed")
            history[-1] = {"role": "assistant", "content": OOPS}
            yield "", history, gr.skip(), groups

    def library_update(note: str, query: str) -> tuple[str, Any, str, str]:
        return note, library_rows(service, query), status_text(service), ""

    def indexed(run: Any, query: str, progress: gr.Progress) -> tuple[str, Any, str, str]:
        def _progress(p: Any) -> None:
            desc = f"{p.articles_done}/{p.articles_total} articles, {p.chunks_done} chunks"
            progress((p.chunks_done, max(p.chunks_total, 1)), desc=desc)

        try:
            report = run(_progress)
            lines = "\n".join(f"- {_e(line)}" for line in report.details())
            note = f"**{_e(report.summary())}**\n\n{lines}"
        except RagError as exc:
            note = f"⚠️ {_e(str(exc))}"
        except Exception:
            log.exception("indexing failed")
            note = OOPS
        return library_update(note, query)

    def add_files(files: list[str] | None, query: str, progress=gr.Progress()) -> tuple:  # noqa: B008
        if not files:
            return library_update("Choose one or more files first.", query)
        paths = [Path(f) for f in files]
        return indexed(lambda cb: service.add_files(paths, cb), query, progress)

    def add_text(title: str, text: str, query: str, progress=gr.Progress()) -> tuple:  # noqa: B008
        return indexed(lambda cb: service.add_text(title, text, cb), query, progress)

    def delete(doc_id: str, query: str) -> tuple:
        if not doc_id:
            return library_update("Click an article in the table first.", query)
        return indexed(lambda _: service.delete_articles([doc_id]), query, lambda *a, **k: None)

    def select(evt: gr.SelectData) -> str:
        row = evt.row_value or []
        return str(row[4]) if len(row) > 4 else ""

    select.__annotations__["evt"] = gr.SelectData  # gradio reads it; `gr` is not a global

    def ask(question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """Answer `question` (history: [question, answer] pairs) as JSON with citations."""
        pairs = [(str(q), str(a)) for q, a in (history or [])]
        try:
            return service.answer(question, pairs).model_dump(exclude={"language"})
        except RagError as exc:
            return {"error": str(exc)}

    def ask_stream(question: str, history: list[list[str]] | None = None) -> Iterator[str]:
        """The answer text as it is written, then the final, checked answer text."""
        pairs = [(str(q), str(a)) for q, a in (history or [])]
        partial = ""
        try:
            for item in service.stream(question, pairs):
                partial = item.answer if isinstance(item, Answer) else partial + item
                yield partial
        except RagError as exc:
            yield f"error: {exc}"

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
                chat, [msg, chatbot, groups], [msg, chatbot, sources, groups],
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
        search.change(lambda q: library_rows(service, q), search, table, api_visibility="private")
        table.select(select, None, selected, api_visibility="private")
        for btn, fn, ins in (
            (add_btn, add_files, [files, search]),
            (paste_btn, add_text, [title, text, search]),
            (remove, delete, [selected, search]),
        ):
            btn.click(fn, ins, outs, concurrency_id="index", concurrency_limit=1,
                      api_visibility="private")  # fmt: skip
        demo.load(lambda q: (status_text(service), library_rows(service, q)), search,
                  [status, table], api_visibility="private")  # fmt: skip
        gr.api(ask, api_name="ask")
        gr.api(ask_stream, api_name="ask_stream")
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
