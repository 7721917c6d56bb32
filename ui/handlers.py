"""What the page's events do: each handler turns one event into `RagService` calls and views.
Errors reach the user as one readable line (`RagError`) or a generic note; never a traceback."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag import Answer, IndexProgress, IndexReport, RagError, RagService, Stage
from ui.views import (
    OOPS,
    REFRESH_S,
    escape,
    library_rows,
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

    def ask(self, question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """Answer `question` (history: [question, answer] pairs) as JSON with citations."""
        pairs = [(str(q), str(a)) for q, a in (history or [])]
        try:
            return _json(self.service.answer(question, pairs))
        except RagError as exc:
            return {"error": str(exc)}

    def ask_events(
        self, question: str, history: list[list[str]] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The answer as events: `evidence` (the checked passages, at once), `stage` (what
        the writer does: waiting with `ahead`, reading, writing, checking), `text` (written so
        far, at most every `REFRESH_S`), then `answer` (the checked answer) or `error`, and
        `translated` (the answer again, as `/ask` gives it, once its quotes are translated,
        when they were)."""
        pairs = [(str(q), str(a)) for q, a in (history or [])]
        try:
            stream = self.service.stream(question, pairs)
            preview = stream.preview
            yield {"event": "evidence", "answer": _json(preview) if preview else None}
            sent, last, stage = "", 0.0, None
            for event in stream.events():
                if isinstance(event, Stage):
                    if event != stage:  # a question in line hears its place when it changes
                        stage = event
                        yield {"event": "stage", "stage": event.name, "ahead": event.ahead}
                elif time.monotonic() - last >= REFRESH_S and stream.text != sent:
                    sent, last = stream.text, time.monotonic()
                    yield {"event": "text", "text": sent}
            answer = stream.answer
            yield {"event": "answer", "answer": _json(answer)}
            translated = self.service.translate(answer)  # the answer did not wait for these
            if translated != answer:
                yield {"event": "translated", "answer": _json(translated)}
        except RagError as exc:
            yield {"event": "error", "error": str(exc)}

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

    def _indexed(self, run: Run, query: str, progress: Any) -> tuple[LibraryOut, bool]:
        """Run an index change; (the outputs, whether it succeeded)."""

        def _progress(p: IndexProgress) -> None:
            desc = (
                f"{p.articles_done}/{p.articles_total} articles · "
                f"{p.chunks_done}/{p.chunks_total} passages"
            )
            progress((p.chunks_done, max(p.chunks_total, 1)), desc=desc)

        ok = False
        try:
            report = run(_progress)
            lines = "\n".join(f"- {escape(line)}" for line in report.details())
            note = f"**{escape(report.summary())}**\n\n{lines}"
            ok = not report.skipped  # a skipped file stays in the form, beside its reason
        except RagError as exc:
            note = f"⚠️ {escape(str(exc))}"
        except Exception:
            log.exception("indexing failed")
            note = OOPS
        return self.library_update(note, query), ok

    def add_files(
        self,
        files: list[str] | None,
        query: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects it by default)
    ) -> tuple[Any, ...]:
        """Index the chosen files; the file box is emptied when they were added."""
        if not files:
            return (*self.library_update("Choose one or more files first.", query), gr.skip())
        paths = [Path(f) for f in files]
        out, ok = self._indexed(lambda cb: self.service.add_files(paths, cb), query, progress)
        return (*out, None if ok else gr.skip())

    def add_text(
        self,
        title: str,
        text: str,
        query: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects it by default)
    ) -> tuple[Any, ...]:
        """Index the pasted article; the form is emptied when it was added."""
        run: Run = lambda cb: self.service.add_text(title, text, cb)  # noqa: E731
        out, ok = self._indexed(run, query, progress)
        return (*out, *(("", "") if ok else (gr.skip(), gr.skip())))

    def add_urls(
        self,
        urls: str,
        query: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects it by default)
    ) -> tuple[Any, ...]:
        """Fetch and index the addresses (one per line, or separated by spaces)."""
        wanted = urls.split()
        if not wanted:
            return (*self.library_update("Paste one or more addresses first.", query), gr.skip())
        reports: list[IndexReport] = []

        def run(cb: Callable[[IndexProgress], None]) -> IndexReport:
            reports.append(self.service.add_urls(wanted, cb))
            return reports[-1]

        out, ok = self._indexed(run, query, progress)
        if ok or not reports:
            return (*out, "" if ok else gr.skip())
        bad = {s.path for s in reports[0].skipped}
        return (*out, "\n".join(u for u in wanted if u in bad) or "")  # the skipped stay

    def delete(self, doc_id: str, query: str) -> LibraryOut:
        if not doc_id:
            return self.library_update("Click an article in the table first.", query)

        def run(_: Callable[[IndexProgress], None]) -> IndexReport:
            return self.service.delete_articles([doc_id])  # a delete embeds nothing: no progress

        return self._indexed(run, query, lambda *a, **k: None)[0]

    def select(self, evt: gr.SelectData) -> str:
        """The id of the clicked table row."""
        row = evt.row_value or []
        return str(row[4]) if len(row) > 4 else ""

    def search(self, query: str) -> list[list[Any]]:
        return library_rows(self.service, query)

    def on_load(self, query: str) -> tuple[str, list[list[Any]]]:
        return status_text(self.service), library_rows(self.service, query)


def _json(answer: Answer) -> dict[str, Any]:
    return answer.model_dump(exclude={"language"})
