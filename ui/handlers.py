"""What the page's events do: each handler turns one event into `RagService` calls and views.
Errors reach the user as one readable line (`RagError`) or a generic note; never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag import IndexProgress, IndexReport, RagError, RagService
from ui.views import (
    OOPS,
    escape,
    history_pairs,
    library_rows,
    panel,
    render,
    sources_group,
    status_text,
)

log = logging.getLogger(__name__)

Messages = list[dict[str, Any]]
LibraryOut = tuple[str, Any, str, str]  # note, table rows, status, selected id
Run = Callable[[Callable[[IndexProgress], None]], IndexReport]


class Handlers:
    """The event handlers of one app, over one service."""

    def __init__(self, service: RagService) -> None:
        self.service = service

    # --- chat ----------------------------------------------------------------------------

    def chat(
        self, message: str, history: Messages | None, groups: list[str]
    ) -> Iterator[tuple[str, Messages, Any, list[str]]]:
        """Ask; the answer streams into the last bubble, then its sources join the panel."""
        history, groups = list(history or []), list(groups or [])
        pairs = history_pairs(history)
        history += [
            {"role": "user", "content": escape(message)},
            {"role": "assistant", "content": "…"},
        ]
        yield "", history, gr.skip(), groups
        try:
            stream = self.service.stream(message, pairs)
            for _ in stream:
                history[-1] = {"role": "assistant", "content": escape(stream.text) + " …"}
                yield "", history, gr.skip(), groups
            answer = stream.answer
            group = f"g{len(groups) + 1}"
            groups.append(sources_group(self.service, answer, group))
            history[-1] = {"role": "assistant", "content": render(answer, group)}
            yield "", history, panel(groups), groups
            translated = self.service.translate(answer)  # the answer did not wait for these
            if translated != answer:
                groups[-1] = sources_group(self.service, translated, group)
                yield "", history, panel(groups), groups
        except RagError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠️ {escape(str(exc))}"}
            yield "", history, gr.skip(), groups
        except Exception:  # never a traceback on the page
            log.exception("answer failed")
            history[-1] = {"role": "assistant", "content": OOPS}
            yield "", history, gr.skip(), groups

    def ask(self, question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """Answer `question` (history: [question, answer] pairs) as JSON with citations."""
        pairs = [(str(q), str(a)) for q, a in (history or [])]
        try:
            return self.service.answer(question, pairs).model_dump(exclude={"language"})
        except RagError as exc:
            return {"error": str(exc)}

    def ask_stream(self, question: str, history: list[list[str]] | None = None) -> Iterator[str]:
        """The answer text as it is written, then the final, checked answer text."""
        pairs = [(str(q), str(a)) for q, a in (history or [])]
        try:
            stream = self.service.stream(question, pairs)
            for _ in stream:
                yield stream.text
            yield stream.answer.answer
        except RagError as exc:
            yield f"error: {exc}"

    # --- library -------------------------------------------------------------------------

    def library_update(self, note: str, query: str) -> LibraryOut:
        return note, library_rows(self.service, query), status_text(self.service), ""

    def _indexed(self, run: Run, query: str, progress: Any) -> LibraryOut:
        def _progress(p: IndexProgress) -> None:
            desc = f"{p.articles_done}/{p.articles_total} articles, {p.chunks_done} chunks"
            progress((p.chunks_done, max(p.chunks_total, 1)), desc=desc)

        try:
            report = run(_progress)
            lines = "\n".join(f"- {escape(line)}" for line in report.details())
            note = f"**{escape(report.summary())}**\n\n{lines}"
        except RagError as exc:
            note = f"⚠️ {escape(str(exc))}"
        except Exception:
            log.exception("indexing failed")
            note = OOPS
        return self.library_update(note, query)

    def add_files(
        self,
        files: list[str] | None,
        query: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects it by default)
    ) -> LibraryOut:
        if not files:
            return self.library_update("Choose one or more files first.", query)
        paths = [Path(f) for f in files]
        return self._indexed(lambda cb: self.service.add_files(paths, cb), query, progress)

    def add_text(
        self,
        title: str,
        text: str,
        query: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects it by default)
    ) -> LibraryOut:
        return self._indexed(lambda cb: self.service.add_text(title, text, cb), query, progress)

    def delete(self, doc_id: str, query: str) -> LibraryOut:
        if not doc_id:
            return self.library_update("Click an article in the table first.", query)

        def run(_: Callable[[IndexProgress], None]) -> IndexReport:
            return self.service.delete_articles([doc_id])  # a delete embeds nothing: no progress

        return self._indexed(run, query, lambda *a, **k: None)

    def select(self, evt: gr.SelectData) -> str:
        """The id of the clicked table row."""
        row = evt.row_value or []
        return str(row[4]) if len(row) > 4 else ""

    def search(self, query: str) -> list[list[Any]]:
        return library_rows(self.service, query)

    def on_load(self, query: str) -> tuple[str, list[list[Any]]]:
        return status_text(self.service), library_rows(self.service, query)
