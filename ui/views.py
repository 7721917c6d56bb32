"""What the page shows, as HTML and Markdown strings: answer bubbles, the sources panel, the
status line and the library table. Pure functions over `rag`'s public API."""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from rag import MACHINE, Answer, Citation, RagService

log = logging.getLogger(__name__)

OOPS = "⚠️ Something went wrong; the error was logged."
_CITE = re.compile(r"\[(\d+)\]")


def escape(text: str) -> str:
    """HTML-escaped text (quotes too)."""
    return html.escape(text, quote=True)


def render(answer: Answer, group: str) -> str:
    """The chat bubble: the answer with `[n]` links into the sources panel, then the list of
    cited articles; an abstention says so and points at the related passages."""
    text = escape(answer.answer)
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
        f"<li>{_link(group, str(c.n), f'[{c.n}]')} {escape(c.title)} — {escape(c.source)}"
        f"{', ' + escape(c.published) if c.published else ''}</li>"
        for c in answer.citations
    )
    out += f'<ol class="cited">{items}</ol>'
    if answer.dropped:
        out += f'<p class="dropped">{len(answer.dropped)} unsupported sentence(s) removed.</p>'
    out += "".join(f'<p class="note">{escape(note)}</p>' for note in answer.notes)
    return out


def _link(group: str, n: str, label: str) -> str:
    return f'<a class="cite" href="#src-{group}-{n}" data-group="{group}" data-n="{n}">{label}</a>'


def sources_group(service: RagService, answer: Answer, group: str) -> str:
    """The sources panel's part for one answer: each cited (or related) passage, highlighted
    in its article's text."""
    cited = [(str(c.n), f"[{c.n}]", c) for c in answer.citations]
    cited += [(f"r{c.n}", "related", c) for c in answer.related if not answer.citations]
    blocks = [f'<div class="q">Sources for: {escape(answer.question)}</div>']
    for n, label, c in cited:
        date = " · " + escape(c.published) if c.published else ""
        blocks.append(
            f'<div class="src" id="src-{group}-{n}"><div class="hdr"><span class="n">'
            f"{label}</span> <b>{escape(c.title)}</b></div>"
            f'<div class="meta">{escape(c.source)}{date}'
            f" · {escape(c.doc_id)} · chars {c.char_start}-{c.char_end}</div>"
            f"{_translation(c, answer.language)}"  # first: the reader needs it to read on
            f'<div class="ctx">{_context(service, c)}</div></div>'
        )
    if not cited:
        blocks.append("<p>No passages.</p>")
    return f'<div class="group" data-group="{group}">{"".join(blocks)}</div>'


def _translation(c: Citation, lang: str) -> str:
    """The quote's checked machine translation, labelled as such (nothing without one)."""
    if not c.translation:
        return ""
    label = MACHINE.get(lang, MACHINE["en"])
    return f'<div class="tr"><span class="lbl">{escape(label)}</span> {escape(c.translation)}</div>'


def _context(service: RagService, c: Citation) -> str:
    try:
        before, quote, after = service.passage(c.doc_id, c.char_start, c.char_end)
    except Exception:  # the article may have been deleted since
        log.exception("no context for %s", c.doc_id)
        before, quote, after = "", c.quote, ""
    return f"{escape(before)}<mark>{escape(quote)}</mark>{escape(after)}"


def panel(groups: list[str], show: int = -1) -> str:
    """Every answer's sources, only the `show`n one visible (links switch between them)."""
    if not groups:
        return '<div class="empty">Click a citation [n] to see its passage here.</div>'
    shown = range(len(groups))[show]
    return "".join(
        g if i == shown else g.replace('class="group"', 'class="group" hidden', 1)
        for i, g in enumerate(groups)
    )


def history_pairs(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
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
    cross = f" + {escape(s.cross_model)} for English questions" if s.cross_model else ""
    return (
        f"**Index:** {s.articles} articles · {s.chunks} chunks · embeddings "
        f"`{escape(s.embedding_model)}`{cross} · answers: {escape(s.llm)}"
    )


def library_rows(service: RagService, query: str | None = "") -> list[list[Any]]:
    words = (query or "").lower().split()
    rows = []
    for a in service.articles():
        hay = f"{a.title} {a.source} {a.doc_id} {a.published}".lower()
        if all(w in hay for w in words):
            rows.append([a.title, a.source, a.published, a.chunks, a.doc_id])
    return rows
