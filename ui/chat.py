"""The chat's events. Each browser session has its conversation on the server: its answers
(`Answer`: question, standalone question, text, citations) and their sources panels. Follow-ups
read their history from those answers, never from the rendered page. The browser keeps a copy
(local storage) so that a reload restores the conversation.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from rag import MAX_QUESTION, Answer, AnswerStream, RagError, RagService
from ui.views import OOPS, REFRESH_S, escape, panel, render, render_progress, sources_group

log = logging.getLogger(__name__)

Messages = list[dict[str, Any]]
Turns = list[dict[str, Any]]  # the conversation's answers (`Answer.model_dump()`), stored
MAX_TURNS = 30  # answers kept per conversation
MAX_SESSIONS = 500  # conversations kept on the server (the browser has its own copy)
TOO_LONG = "Your question has {n:,} characters; the limit is {limit:,}. Please shorten it."


@dataclass
class Conversation:
    answers: list[Answer] = field(default_factory=list)
    panels: list[str] = field(default_factory=list)  # each answer's part of the sources panel
    asking: tuple[str, Answer | None, AnswerStream | None] | None = None  # question, preview
    preview_panel: str | None = None  # the preview's sources, read once per question

    def group(self, i: int) -> str:
        return f"g{i + 1}"


class Chat:
    """The chat's handlers, over one service."""

    def __init__(self, service: RagService) -> None:
        self.service = service
        self.sessions: OrderedDict[str, Conversation] = OrderedDict()

    def _conversation(self, request: gr.Request | None, turns: Turns | None) -> Conversation:
        key = getattr(request, "session_hash", None) or "-"
        conv = self.sessions.get(key)
        if conv is None:
            conv = Conversation()
            for t in turns or []:
                try:
                    conv.answers.append(Answer.model_validate(t))
                except ValueError:
                    log.warning("a stored turn could not be read; left out")
            conv.panels = self._panels(conv.answers)
            self.sessions[key] = conv
            while len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)
        self.sessions.move_to_end(key)
        return conv

    def _panels(self, answers: list[Answer]) -> list[str]:
        return [sources_group(self.service, a, f"g{i + 1}") for i, a in enumerate(answers)]

    def _view(self, conv: Conversation) -> tuple[Messages, str, Turns]:
        """The chat, the sources panel and the stored copy, from the conversation."""
        messages: Messages = []
        for i, a in enumerate(conv.answers):
            messages += [_user(a.question), _bot(render(a, conv.group(i)))]
        panels = list(conv.panels)
        if conv.asking is not None:
            question, preview, stream = conv.asking
            group = conv.group(len(conv.answers))
            stage = stream.stage if stream is not None else None
            text = stream.text if stream is not None else ""
            messages += [_user(question), _bot(render_progress(stage, preview, text, group))]
            if conv.preview_panel is not None:
                panels.append(conv.preview_panel)
        return messages, panel(panels), [a.model_dump() for a in conv.answers]

    def restore(self, turns: Turns | None, request: gr.Request) -> tuple[Messages, str]:
        """The page after a (re)load: the conversation as it was."""
        key = getattr(request, "session_hash", None) or "-"
        self.sessions.pop(key, None)  # the browser's copy is the truth after a reload
        messages, shown, _ = self._view(self._conversation(request, turns))
        return messages, shown

    def clear(self, request: gr.Request) -> tuple[Messages, str, Turns, str]:
        """A new conversation."""
        conv = self._conversation(request, [])
        conv.answers.clear()
        conv.panels.clear()
        return [], panel([]), [], ""

    def send(
        self, message: str, turns: Turns | None, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """Ask, with the conversation's answers as its history: the evidence shows at once,
        the answer is written into the same bubble, then its sources join the panel.
        Outputs: the question box, the chat, the panel, the stored turns, the box's note."""
        skip = gr.skip()
        question = " ".join((message or "").split())
        if not question:  # Enter on an empty box does nothing
            yield skip, skip, skip, skip, skip
            return
        if len(question) > MAX_QUESTION:  # it stays in the box, with the limit
            yield skip, skip, skip, skip, TOO_LONG.format(n=len(question), limit=MAX_QUESTION)
            return
        conv = self._conversation(request, turns)
        conv.asking, conv.preview_panel = (question, None, None), None
        messages, shown, _ = self._view(conv)
        yield "", messages, skip, skip, ""
        try:
            stream = self.service.stream(question, conv.answers)
            conv.asking = (question, stream.preview, stream)
            preview = stream.preview
            conv.preview_panel = (  # not re-read from the index at every redraw
                sources_group(self.service, preview, conv.group(len(conv.answers)))
                if preview is not None and preview.citations
                else None
            )
            messages, shown, _ = self._view(conv)
            yield skip, messages, shown, skip, skip
            last = time.monotonic()
            for _ in stream.events():
                if time.monotonic() - last >= REFRESH_S:  # a browser needs no more
                    last = time.monotonic()
                    yield skip, self._view(conv)[0], skip, skip, skip
            answer = stream.answer
            conv.asking = None
            conv.answers.append(answer)
            conv.panels.append(sources_group(self.service, answer, conv.group(len(conv.panels))))
            if len(conv.answers) > MAX_TURNS:  # the oldest goes; the others are renumbered
                del conv.answers[0]
                conv.panels = self._panels(conv.answers)
            messages, shown, stored = self._view(conv)
            yield skip, messages, shown, stored, skip
        except RagError as exc:
            conv.asking = None
            yield skip, [*self._view(conv)[0], _user(question), _bot(f"⚠️ {escape(str(exc))}")], \
                skip, skip, skip  # fmt: skip
        except Exception:  # never a traceback on the page
            log.exception("answer failed")
            conv.asking = None
            yield skip, [*self._view(conv)[0], _user(question), _bot(OOPS)], skip, skip, skip

    def translate(self, turns: Turns | None, request: gr.Request) -> tuple[Any, ...]:
        """The last answer's quotes translated (the answer did not wait for them)."""
        conv = self._conversation(request, turns)
        if not conv.answers:
            return gr.skip(), gr.skip(), gr.skip()
        i = len(conv.answers) - 1
        answer = conv.answers[i]
        try:
            translated = self.service.translate(answer)
        except Exception:
            log.exception("translation failed")
            return gr.skip(), gr.skip(), gr.skip()
        if translated == answer or i >= len(conv.answers) or conv.answers[i] is not answer:
            return gr.skip(), gr.skip(), gr.skip()  # nothing new, or a new conversation
        conv.answers[i] = translated
        conv.panels[i] = sources_group(self.service, translated, conv.group(i))
        return self._view(conv)

    def stop(self, request: gr.Request) -> None:
        """Stop this browser's answer: the model is freed, the evidence stays."""
        conv = self.sessions.get(getattr(request, "session_hash", None) or "-")
        if conv is not None and conv.asking is not None and conv.asking[2] is not None:
            conv.asking[2].cancel()


def _user(question: str) -> dict[str, Any]:
    return {"role": "user", "content": escape(question)}


def _bot(html: str) -> dict[str, Any]:
    return {"role": "assistant", "content": html}
